import * as fs from "fs";
import * as path from "path";

/**
 * An `aws` command for node scripts run on this host: `ssm get-parameter`, `get-parameters-by-path`
 * and `put-parameter` over a directory (one file per parameter name), with the AWS CLI's own
 * not-found and already-exists messages and exit code, so a script's handling of a missing parameter is what it meets on EC2. Put `binDir` first in
 * the script's PATH. Anything else fails loudly.
 */
export class SsmStandIn {
    readonly binDir: string;
    readonly storeDir: string;

    constructor(dir: string) {
        this.binDir = path.join(dir, "bin");
        this.storeDir = path.join(dir, "store");
        fs.mkdirSync(this.binDir, { recursive: true });
        fs.mkdirSync(this.storeDir, { recursive: true });
        fs.writeFileSync(path.join(this.binDir, "aws"), standInScript(this.storeDir), { mode: 0o755 });
    }

    /** PATH with the stand-in first. */
    get path(): string {
        return `${this.binDir}:${process.env.PATH}`;
    }

    put(name: string, value: string): void {
        fs.mkdirSync(path.dirname(this.file(name)), { recursive: true });
        fs.writeFileSync(this.file(name), value);
    }

    get(name: string): string | undefined {
        return fs.existsSync(this.file(name)) ? fs.readFileSync(this.file(name), "utf8") : undefined;
    }

    delete(name: string): void {
        fs.rmSync(this.file(name), { force: true });
    }

    private file(name: string): string {
        return path.join(this.storeDir, name);
    }
}

function standInScript(store: string): string {
    return `#!/usr/bin/env bash
set -euo pipefail
service="" op="" name="" value="" overwrite=no
while (($#)); do
  case "$1" in
    --name | --path) name="$2"; shift ;;
    --value) value="$2"; shift ;;
    --overwrite) overwrite=yes ;;
    --region | --query | --output | --type) shift ;;
    --*) ;;
    *) if [[ -z "$service" ]]; then service="$1"; elif [[ -z "$op" ]]; then op="$1"; fi ;;
  esac
  shift
done
file="${store}$name"
case "$service $op" in
  "ssm get-parameter")
    [[ -f "$file" ]] || { echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2; exit 254; }
    cat "$file"; echo ;;
  "ssm get-parameters-by-path")
    names=()
    if [[ -d "$file" ]]; then for f in "$file"/*; do [[ -f "$f" ]] && names+=("\${name%/}/\${f##*/}"); done; fi
    ((\${#names[@]} == 0)) || (IFS=$'\\t'; echo "\${names[*]}") ;;
  "ssm put-parameter")
    if [[ -f "$file" && "$overwrite" == no ]]; then
      echo "An error occurred (ParameterAlreadyExists) when calling the PutParameter operation: The parameter already exists." >&2; exit 254
    fi
    mkdir -p "$(dirname "$file")"; printf '%s' "$value" >"$file" ;;
  *) echo "aws (test stand-in): only ssm get-parameter, get-parameters-by-path and put-parameter, got: $service $op" >&2; exit 2 ;;
esac
`;
}
