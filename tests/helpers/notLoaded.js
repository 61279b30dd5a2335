// A stand-in, in unit tests, for a module that @pulumi/pulumi requires when it loads but that no
// component uses: its function serialization's TypeScript and arborist, and its automation API (see
// jest.config.js). Reading anything from it fails the test and says why.
module.exports = new Proxy({}, {
    get(_target, property) {
        // Module interop (`__esModule`, symbols) looks before anything is used: that is not a use.
        if (property === "__esModule" || typeof property === "symbol") return undefined;
        throw new Error(`unit tests do not load this part of @pulumi/pulumi (jest.config.js moduleNameMapper); "${String(property)}" was read from it`);
    },
});
