import { RecordedResource } from "./mockRuntime";
import { PlanResult } from "./planRunner";

const LONG_TEXT = 160;

/** The plan as a person reads it: header, sizing decision, then the resource tree with inputs. */
export function formatPlan(plan: PlanResult): string {
    const lines: string[] = [
        `Offline plan for stack ${plan.stack} (project ${plan.project}, region ${plan.region}).`,
        "No cloud calls were made: ids, addresses and certificates are placeholders; secrets show as [secret].",
        "",
    ];
    const sizing = plan.outputs.sizing as { tier: string; instanceType: string; arch: string; volume: Record<string, unknown>; reasons: string[] } | undefined;
    if (sizing) {
        lines.push(`Sizing: tier ${sizing.tier}, instance ${sizing.instanceType} (${sizing.arch}), data volume ${JSON.stringify(sizing.volume)}`);
        sizing.reasons.forEach((reason) => lines.push(`  - ${reason}`));
        lines.push("");
    }
    lines.push(`Resources (${plan.resources.length}):`);
    // Names repeat across types (a member component and its instance), so the tree is keyed by URN.
    const children = new Map<string, RecordedResource[]>();
    for (const resource of plan.resources) {
        if (resource.parentUrn) {
            children.set(resource.parentUrn, [...(children.get(resource.parentUrn) ?? []), resource]);
        }
    }
    const urns = new Set(plan.resources.map((r) => r.urn));
    const roots = plan.resources.filter((r) => !r.parentUrn || !urns.has(r.parentUrn));
    const walk = (resource: RecordedResource, depth: number) => {
        const indent = "  ".repeat(depth + 1);
        const flags = [
            resource.parent ? `parent=${resource.parent}` : "",
            resource.protect ? "protected" : "",
            resource.deleteBeforeReplace ? "delete-before-replace" : "",
            resource.ignoreChanges.length ? `ignoreChanges=${resource.ignoreChanges.join(",")}` : "",
            resource.dependsOn.length ? `dependsOn=${resource.dependsOn.join(",")}` : "",
            resource.aliases.length ? `aliases=${resource.aliases.join(",")}` : "",
        ].filter(Boolean);
        lines.push(`${indent}${resource.type}  ${resource.name}${flags.length ? `  [${flags.join("; ")}]` : ""}`);
        for (const [key, value] of Object.entries(resource.maskedInputs)) {
            lines.push(`${indent}    ${key}: ${summarize(value)}`);
        }
        for (const child of children.get(resource.urn) ?? []) {
            walk(child, depth + 1);
        }
    };
    roots.forEach((root) => walk(root, 0));
    lines.push("", "Outputs:");
    for (const [key, value] of Object.entries(plan.outputs)) {
        lines.push(`  ${key}: ${summarize(value)}`);
    }
    return lines.join("\n") + "\n";
}

function summarize(value: unknown): string {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (text.length <= LONG_TEXT && !text.includes("\n")) {
        return text;
    }
    const firstLine = text.split("\n")[0].slice(0, 80);
    return `${firstLine} ... (${text.length} characters; --json or --out shows all)`;
}
