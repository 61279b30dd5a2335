// The plugin's entry point (package.json "main"): the library's EtcdCluster, served by Pulumi's
// component provider with the schema its analyzer makes from the TypeScript types, completed by
// provider/completeSchema.ts (secrets, integers, language package names, type names). The analyzer offers
// no hook for that, so its getSchema is wrapped here, before Pulumi's plugin host (run-plugin)
// finds the exported component and starts serving it.
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental/provider";
import { completeSchema, PackageSchema } from "./completeSchema";

const analyzedSchema = ComponentProvider.prototype.getSchema;
ComponentProvider.prototype.getSchema = async function (this: ComponentProvider): Promise<string> {
    return JSON.stringify(completeSchema(JSON.parse(await analyzedSchema.call(this)) as PackageSchema));
};

export { EtcdCluster } from "../lib";
