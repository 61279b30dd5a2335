import * as fs from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";
import * as YAML from "yaml";
import { RecordedResource } from "./mockRuntime";

/** The files a member's cloud-init writes, decoded from the instance's real rendered user data. */
export interface MemberFiles {
    member: string;
    userData: string;
    /** Path on the node -> content. */
    files: Record<string, string>;
}

export function memberFilesFromPlan(resources: RecordedResource[]): MemberFiles[] {
    return resources
        .filter((r) => r.type === "aws:ec2/instance:Instance")
        .map((instance) => {
            const userData = decodeUserData(instance.inputs);
            const member = (instance.inputs.tags as Record<string, string> | undefined)?.["etcd:member"] ?? instance.name;
            return { member, userData, files: decodeWriteFiles(userData) };
        });
}

/** The instance's user data as text, whether given plain or gzip+base64 (`userDataBase64`). */
export function decodeUserData(inputs: Record<string, unknown>): string {
    if (typeof inputs.userDataBase64 === "string") {
        const raw = Buffer.from(inputs.userDataBase64, "base64");
        const gzipped = raw[0] === 0x1f && raw[1] === 0x8b;
        return (gzipped ? gunzipSync(raw) : raw).toString("utf8");
    }
    return String(inputs.userData ?? "");
}

export function decodeWriteFiles(userData: string): Record<string, string> {
    const document = YAML.parse(userData) ?? {};
    const files: Record<string, string> = {};
    for (const entry of document.write_files ?? []) {
        const encoding: string = entry.encoding ?? "text/plain";
        let content: string = entry.content ?? "";
        if (/gz/.test(encoding)) {
            content = gunzipSync(Buffer.from(content, "base64")).toString("utf8");
        } else if (/b64|base64/.test(encoding)) {
            content = Buffer.from(content, "base64").toString("utf8");
        }
        files[entry.path] = content;
    }
    return files;
}

/** Writes DIR/<member>/user-data.yaml and DIR/<member>/<path on node> for review. */
export function writeMemberFiles(outDir: string, members: MemberFiles[]): string[] {
    const written: string[] = [];
    for (const { member, userData, files } of members) {
        const base = path.join(outDir, member);
        const write = (file: string, content: string) => {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, content);
            written.push(file);
        };
        write(path.join(base, "user-data.yaml"), userData);
        for (const [nodePath, content] of Object.entries(files)) {
            write(path.join(base, nodePath.replace(/^\/+/, "")), content);
        }
    }
    return written;
}
