import * as fs from "fs";
import * as ts from "typescript";

/** Property names of an interface, or of a class's `public readonly x: pulumi.Output<...>` fields, read from the source. */
export function declaredNames(file: string, name: string, kind: "interface" | "outputs"): string[] {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const names: string[] = [];
    source.forEachChild((node) => {
        if (kind === "interface" && ts.isInterfaceDeclaration(node) && node.name.text === name) {
            node.members.forEach((m) => m.name && names.push(m.name.getText(source)));
        }
        if (kind === "outputs" && ts.isClassDeclaration(node) && node.name?.text === name) {
            node.members.forEach((m) => {
                if (ts.isPropertyDeclaration(m) && m.type?.getText(source).startsWith("pulumi.Output<")) names.push(m.name.getText(source));
            });
        }
    });
    return names.sort();
}
