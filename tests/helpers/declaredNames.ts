import * as fs from "fs";
import * as ts from "typescript";

function parsed(file: string): ts.SourceFile {
    return ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
}

/** Property names of an interface, or of a class's `public readonly x: pulumi.Output<...>` fields, read from the source. */
export function declaredNames(file: string, name: string, kind: "interface" | "outputs"): string[] {
    return [...(kind === "interface" ? declaredTypes(file, name) : declaredOutputTypes(file, name)).keys()].sort();
}

/** Each `public readonly x: pulumi.Output<T>` field of a class with T as written, e.g. members -> "MemberInfo[]". */
export function declaredOutputTypes(file: string, className: string): Map<string, string> {
    const source = parsed(file);
    const types = new Map<string, string>();
    source.forEachChild((node) => {
        if (ts.isClassDeclaration(node) && node.name?.text === className) {
            node.members.forEach((m) => {
                const type = ts.isPropertyDeclaration(m) ? m.type : undefined;
                if (type && m.name && ts.isTypeReferenceNode(type) && type.typeName.getText(source) === "pulumi.Output" && type.typeArguments?.length === 1) {
                    types.set(m.name.getText(source), type.typeArguments[0].getText(source));
                }
            });
        }
    });
    return types;
}

/** Each property of an interface with its type as written in the source, e.g. vpcId -> "pulumi.Input<string>". */
export function declaredTypes(file: string, name: string): Map<string, string> {
    const source = parsed(file);
    const types = new Map<string, string>();
    source.forEachChild((node) => {
        if (ts.isInterfaceDeclaration(node) && node.name.text === name) {
            node.members.forEach((m) => {
                if (ts.isPropertySignature(m)) types.set(m.name.getText(source), m.type?.getText(source) ?? "any");
            });
        }
    });
    if (types.size === 0) throw new Error(`no interface ${name} with properties in ${file}`);
    return types;
}
