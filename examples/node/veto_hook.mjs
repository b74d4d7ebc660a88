// A veto hook: refuses every `capture` whose payload "path" matches a regular
// expression, and allows the rest with an empty `abort` (so that emitters get an
// answer at once instead of waiting for their deadline).
//
//     node examples/node/veto_hook.mjs ['(^|/)\.env$']

// The binding from this checkout; after `npm install .../bindings/node`,
// import from "hookbus" instead.
import { serve } from "../../bindings/node/src/index.js";

const DEFAULT_PATTERN = String.raw`(^|/)\.env$|^secrets/`;
const pattern = new RegExp(
    process.argv[2] ?? process.env.VETO_PATTERN ?? DEFAULT_PATTERN,
);
const name = process.env.HOOK_NAME ?? "node-veto";

function check(event) {
    const path = event.payload?.path;
    if (typeof path !== "string") return { abort: "", checkedBy: name, note: "no path" };
    if (pattern.test(path)) {
        console.log(`${name}: refused ${path}`);
        return `${path} matches ${pattern}`; // a string is the abort reason
    }
    console.log(`${name}: allowed ${path}`);
    return { abort: "", checkedBy: name };
}

let hook;
try {
    hook = await serve({
        name,
        handlers: { capture: check },
        onLagged: (lag) => console.error(`${name}: ${lag.message}`),
        // A payload that is not JSON must not stop the hook: log it, give no answer.
        onError: (error, event) =>
            console.error(`${name}: event ${event.id}: ${error.message}`),
    });
} catch (error) {
    console.error(`${name}: ${error.message}`); // no broker confirmed us in 5 s
    process.exit(1);
}
console.log(`${name}: live for 'capture', refusing paths matching ${pattern}`);

const stop = () => hook.close();
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
await hook.done;
