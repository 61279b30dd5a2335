import * as fs from "fs";
import * as path from "path";
import { RENAMED_SETTINGS, SettingKind, STACK_SETTINGS } from "../config/clusterArgs";
import { RENAMED_OUTPUT_FIELDS, SECRET_OUTPUTS } from "../components/etcdCluster";

/**
 * What Pulumi's analyzer cannot read from the TypeScript types, added to the schema it makes from
 * them: which inputs and outputs are secrets, which numbers are whole, which settings and output
 * fields are former names (deprecated), each language's package
 * names and the Go import path, and type names without the "Output" suffix the TypeScript
 * interfaces carry (Go would name them SizingOutputOutput). Every fact comes from its owner:
 * settings' kinds from STACK_SETTINGS, secret outputs from the component, names and repository
 * from the library's package.json.
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
const TYPE_NAMES: Readonly<Record<string, string>> = { SizingOutput: "Sizing", DataVolumeOutput: "DataVolume" };

interface LibraryManifest {
    name: string;
    license: string;
    repository: { url: string };
    homepage: string;
    keywords?: string[];
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

/** Every number in this schema is whole: the settings are validated as integers, the outputs are counts, sizes and GiB. */
function integersAndRefs(spec: PropertySpec, rename: (ref: string) => string): PropertySpec {
    const out: PropertySpec = { ...spec };
    if (out.type === "number") out.type = "integer";
    if (out.$ref) out.$ref = rename(out.$ref);
    if (out.items) out.items = integersAndRefs(out.items, rename);
    if (out.additionalProperties) out.additionalProperties = integersAndRefs(out.additionalProperties, rename);
    return out;
}

function mapProperties(properties: Record<string, PropertySpec> | undefined, each: (name: string, spec: PropertySpec) => PropertySpec): Record<string, PropertySpec> | undefined {
    return properties && Object.fromEntries(Object.entries(properties).map(([name, spec]) => [name, each(name, spec)]));
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
    const renamed: Readonly<Record<string, string | undefined>> = RENAMED_SETTINGS;
    const secretOutputs = new Set<string>(SECRET_OUTPUTS);

    const resources = Object.fromEntries(
        Object.entries(analyzed.resources).map(([name, resource]) => [
            name,
            {
                ...resource,
                inputProperties: mapProperties(resource.inputProperties, (input, spec) => ({
                    ...integersAndRefs(spec, rename),
                    ...(kinds[input] === "secret" ? { secret: true } : {}),
                    ...(renamed[input] ? { deprecationMessage: `Use ${renamed[input]}: this is its former name.` } : {}),
                })),
                properties: mapProperties(resource.properties, (output, spec) => ({ ...integersAndRefs(spec, rename), ...(secretOutputs.has(output) ? { secret: true } : {}) })),
            },
        ]),
    );
    const renamedFields: Readonly<Record<string, Readonly<Record<string, string>> | undefined>> = RENAMED_OUTPUT_FIELDS;
    const types = Object.fromEntries(
        Object.entries(analyzed.types).map(([name, type]) => {
            const formerNames = renamedFields[name.split(":").pop()!] ?? {};
            const properties = mapProperties(type.properties, (field, spec) => ({
                ...integersAndRefs(spec, rename),
                ...(formerNames[field] ? { deprecationMessage: `Use ${formerNames[field]}: this is its former name.` } : {}),
            }));
            return [renamedToken(name), { ...type, properties }];
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
