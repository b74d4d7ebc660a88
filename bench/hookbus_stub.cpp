// Stand-ins for the hookbus cases in a build without the hookbus library
// (-DHOOKBUS_BENCH_WITH_LIBRARY=OFF): only the baselines run.
#include "cases.hpp"

namespace bench {

std::vector<Case> hookbus_request_cases(const std::string&) { return {}; }
std::vector<Case> hookbus_fanout_cases(const std::string&) { return {}; }
std::vector<Case> hookbus_resource_cases() { return {}; }
std::vector<Case> client_cases() { return {}; }

}  // namespace bench
