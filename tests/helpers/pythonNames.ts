/**
 * The Python name Pulumi's Python code generator makes of a schema name: pyName in
 * github.com/pulumi/pulumi/pkg/v3/codegen/python/python.go (v3.248.0), for the ASCII identifiers
 * this schema has. A state machine over the characters: a lower-case letter or digit followed by a
 * capital starts a word; a run of capitals is one word (an acronym), except that its last capital
 * starts the next word when a lower-case letter follows, unless that letter is "s" (as in "IPs").
 * So "dataVolumeSizeGb" is data_volume_size_gb and "dataVolumeThroughputMBps" is
 * data_volume_throughput_m_bps. The generator also appends "_" to a Python keyword; none is a name here.
 */
export function pythonName(name: string): string {
    const words: string[] = [];
    let word = "";
    let state: "first" | "upper" | "acronym" | "lowerOrNumber" = "first";
    const isUpper = (c: string) => c !== c.toLowerCase() && c === c.toUpperCase();
    const isDigit = (c: string) => c >= "0" && c <= "9";
    for (const c of name) {
        if (state === "acronym" && !isUpper(c) && !isDigit(c) && c !== "s") {
            // The acronym's last capital begins the word this lower-case letter continues.
            words.push(word.slice(0, -1));
            word = word.slice(-1) + c;
            state = "lowerOrNumber";
        } else if (state === "lowerOrNumber" && isUpper(c)) {
            words.push(word);
            word = c.toLowerCase();
            state = "upper";
        } else if (isUpper(c)) {
            word += c.toLowerCase();
            state = state === "first" ? "upper" : "acronym";
        } else {
            word += c;
            state = "lowerOrNumber";
        }
    }
    if (word) words.push(word);
    return words.join("_");
}
