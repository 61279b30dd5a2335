/** One `Key=Value` section of a systemd unit file. */
export function section(name: string, entries: Array<[string, string | number]>): string {
    return `[${name}]\n` + entries.map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

/** A unit file of the given sections, marked as rendered. */
export function unit(...sections: string[]): string {
    return "# Rendered by the Pulumi component; edits are lost when the member is replaced.\n" + sections.join("\n");
}
