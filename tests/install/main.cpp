// A program outside the hookbus tree, built against an installed hookbus through
// find_package(hookbus): proves the exported package, headers and library work.
#include <hookbus/emitter.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    hookbus::EmitterOptions options;
    options.endpoint = argv[1];
    options.request_timeout = std::chrono::milliseconds(200);
    hookbus::Emitter emitter(options);
    std::cout << hookbus::to_string(emitter.emit("install.check", "{}").status) << '\n';
    return 0;
}
