// The policy checker of the three-hook example: vetoes a pre_capture on a
// protected branch.
//
//     node examples/policies/policy_hook.mjs

// The binding from this checkout; after `npm install .../bindings/node`, import
// from "hookbus" instead.
import { serve } from "../../bindings/node/src/index.js";

const protectedBranches = new Set(["main", "release"]);

function check(event) {
    const branch = event.payload?.branch;
    if (protectedBranches.has(branch)) return `no captures on ${branch}`;
    return { abort: "", branch };
}

const hook = await serve({ name: "policy", handlers: { pre_capture: check } });
console.log("policy: answering pre_capture");
const stop = () => hook.close();
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
await hook.done;
