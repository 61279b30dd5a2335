import * as fs from "fs";
import * as path from "path";
import { EtcdClusterArgs, RENAMED_SETTINGS, SettingKind, STACK_SETTINGS } from "../config/clusterArgs";
import { RENAMED_OUTPUT_FIELDS, SECRET_OUTPUTS, WHOLE_NUMBER_OUTPUT_FIELDS } from "../components/etcdCluster";

/**
 * What Pulumi's analyzer cannot read from the TypeScript types, added to the schema it makes from
 * them: which inputs and outputs are secrets, which numbers are whole, each language's package
 * names and the Go import path, and type names without the "Output" suffix the TypeScript
 * interfaces carry (Go would name them SizingOutputOutput). Former names of settings and output
 * fields are left out: they stay accepted in TypeScript and stack files, but no SDK of another
 * language was published with them, so none needs them (Python would say data_volume_throughput_m_bps).
 * Every fact comes from its owner: settings' kinds from STACK_SETTINGS, secret outputs, whole-number
 * output fields and former names from the component, names and repository from the library's
 * package.json.
 */

/** A JSON schema fragment of the Pulumi package schema: only the parts completed here are typed. */
interface PropertySpec {
    type?: string;
    $ref?: string;
    secret?: boolean;
    items?: PropertySpec;
    additionalProperties?: PropertySpec;
    [key: string]: unknown;
}
interface ObjectSpec {
    properties?: Record<string, PropertySpec>;
    inputProperties?: Record<string, PropertySpec>;
    [key: string]: unknown;
}
export interface PackageSchema {
    name: string;
    resources: Record<string, ObjectSpec>;
    types: Record<string, ObjectSpec>;
    language?: Record<string, Record<string, unknown>>;
    [key: string]: unknown;
}

/** Object types renamed for every language: the TypeScript names end in "Output". */
export const TYPE_NAMES: Readonly<Record<string, string>> = { SizingOutput: "Sizing", DataVolumeOutput: "DataVolume" };

/**
 * The whole-number settings typed "number" in the schema, not "integer": C# and Java make a schema
 * integer a 32-bit int, and quotaBackendBytes's default, etcd's suggested 8 GiB (8589934592 bytes),
 * is past 2^31-1. A "number" is a double there, exact for every whole number of bytes up to 2^53;
 * the component still refuses a fraction. tests/unit/schemaIntegers.test.ts proves every other
 * "integer" setting is refused above 2^31-1, and that these are not.
 */
export const WIDE_WHOLE_NUMBER_SETTINGS: ReadonlyArray<keyof EtcdClusterArgs> = ["quotaBackendBytes"];
const WIDE_WHOLE_NUMBER_NOTE =
    "A number in this schema, not an integer: its default, 8 GiB (8589934592 bytes), does not fit the 32-bit integer of C# and Java. Give a whole number of bytes.";

interface LibraryManifest {
    name: string;
    license: string;
    repository: { url: string };
    homepage: string;
}

function libraryManifest(): LibraryManifest {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as LibraryManifest;
}

/** github.com/<owner>/<repo> of the library's repository URL: the Go module's path starts there. */
function repositoryPath(url: string): string {
    const match = /github\.com[/:]([^/]+\/[^/.]+)/.exec(url);
    if (!match) throw new Error(`package.json repository.url ${JSON.stringify(url)} is not a GitHub URL: the Go import path is made from it.`);
    return `github.com/${match[1]}`;
}

/** Type references renamed, through lists and maps. */
function withRenamedRefs(spec: PropertySpec, rename: (ref: string) => string): PropertySpec {
    const out: PropertySpec = { ...spec };
    if (out.$ref) out.$ref = rename(out.$ref);
    if (out.items) out.items = withRenamedRefs(out.items, rename);
    if (out.additionalProperties) out.additionalProperties = withRenamedRefs(out.additionalProperties, rename);
    return out;
}

/**
 * A number the owner says is whole becomes an integer; any other number stays a number (a float in
 * Go and Python), so a fractional value added later is never cut to an int without anyone deciding.
 */
function wholeNumber(spec: PropertySpec): PropertySpec {
    return spec.type === "number" ? { ...spec, type: "integer" } : spec;
}

/** A number kept a number for its range, with the reason in its documentation. */
function wideWholeNumber(spec: PropertySpec): PropertySpec {
    return { ...spec, description: [spec.description, WIDE_WHOLE_NUMBER_NOTE].filter(Boolean).join("\n\n") };
}

function mapProperties(properties: Record<string, PropertySpec> | undefined, each: (name: string, spec: PropertySpec) => PropertySpec): Record<string, PropertySpec> | undefined {
    return properties && Object.fromEntries(Object.entries(properties).map(([name, spec]) => [name, each(name, spec)]));
}

/** The properties (and required names) without the former names, which stay out of the schema. */
function withoutNames<T extends ObjectSpec>(spec: T, names: ReadonlySet<string>, propertiesKey: "properties" | "inputProperties", requiredKey: "required" | "requiredInputs"): T {
    const properties = spec[propertiesKey] && Object.fromEntries(Object.entries(spec[propertiesKey]!).filter(([name]) => !names.has(name)));
    const required = spec[requiredKey] as string[] | undefined;
    return {
        ...spec,
        ...(properties ? { [propertiesKey]: properties } : {}),
        ...(required ? { [requiredKey]: required.filter((name) => !names.has(name)) } : {}),
    };
}

export function completeSchema(analyzed: PackageSchema): PackageSchema {
    const manifest = libraryManifest();
    const token = (name: string) => `${analyzed.name}:index:${name}`;
    const renamedToken = (from: string) => {
        const short = from.split(":").pop()!;
        return short in TYPE_NAMES ? token(TYPE_NAMES[short]) : from;
    };
    const rename = (ref: string) => (ref.startsWith("#/types/") ? `#/types/${renamedToken(ref.slice("#/types/".length))}` : ref);
    const kinds: Readonly<Record<string, SettingKind>> = STACK_SETTINGS;
    const wide = new Set<string>(WIDE_WHOLE_NUMBER_SETTINGS);
    const formerSettings = new Set(Object.keys(RENAMED_SETTINGS));
    const secretOutputs = new Set<string>(SECRET_OUTPUTS);

    const input = (name: string, spec: PropertySpec): PropertySpec => {
        const typed = withRenamedRefs(spec, rename);
        if (kinds[name] === "integer") return wide.has(name) ? wideWholeNumber(typed) : wholeNumber(typed);
        return kinds[name] === "secret" ? { ...typed, secret: true } : typed;
    };
    const resources = Object.fromEntries(
        Object.entries(analyzed.resources).map(([name, resource]) => {
            const current = withoutNames(resource, formerSettings, "inputProperties", "requiredInputs");
            return [
                name,
                {
                    ...current,
                    inputProperties: mapProperties(current.inputProperties, input),
                    properties: mapProperties(resource.properties, (output, spec) => ({ ...withRenamedRefs(spec, rename), ...(secretOutputs.has(output) ? { secret: true } : {}) })),
                },
            ];
        }),
    );
    const renamedFields: Readonly<Record<string, Readonly<Record<string, string>> | undefined>> = RENAMED_OUTPUT_FIELDS;
    const wholeFields: Readonly<Record<string, ReadonlyArray<string> | undefined>> = WHOLE_NUMBER_OUTPUT_FIELDS;
    const types = Object.fromEntries(
        Object.entries(analyzed.types).map(([name, type]) => {
            const interfaceName = name.split(":").pop()!;
            const current = withoutNames(type, new Set(Object.keys(renamedFields[interfaceName] ?? {})), "properties", "required");
            const whole = new Set(wholeFields[interfaceName] ?? []);
            const properties = mapProperties(current.properties, (field, spec) => {
                const typed = withRenamedRefs(spec, rename);
                return whole.has(field) ? wholeNumber(typed) : typed;
            });
            return [renamedToken(name), { ...current, properties }];
        }),
    );
    const repository = repositoryPath(manifest.repository.url);
    const language = analyzed.language ?? {};
    return {
        ...analyzed,
        displayName: "etcd on AWS",
        license: manifest.license,
        repository: manifest.repository.url.replace(/^git\+/, "").replace(/\.git$/, ""),
        homepage: manifest.homepage,
        publisher: "etcd-pulumi",
        keywords: ["pulumi", "etcd", "aws", "kind/component", "category/infrastructure"],
        resources,
        types,
        language: {
            ...language,
            nodejs: { ...language.nodejs, packageName: manifest.name },
            python: { ...language.python, packageName: "pulumi_etcd_cluster" },
            go: { ...language.go, importBasePath: `${repository}/sdk/go/etcd` },
            csharp: { ...language.csharp, rootNamespace: "EtcdPulumi" },
            java: { ...language.java, basePackage: "com.etcdpulumi" },
        },
    };
}
