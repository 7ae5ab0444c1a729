/**
 * Builds a module-level schema. Each call is written with a `@__PURE__` annotation before it
 * (`export const X = <annotation> schema(() => z.object(...))`), which tells esbuild the call has
 * no side effects.
 *
 * zod builds a schema when its module is imported, and a Lambda bundle imports whole domain
 * modules for one or two schemas each. Marked that way, a schema that no code of the bundle
 * reaches is left out of it, with whatever only that schema used: the deployments function built
 * about 1,400 zod objects at cold start and used about 500 of them (`npm run bench:cold`). esbuild
 * reads the annotation at the call, not on this declaration.
 */
export const schema = <T>(build: () => T): T => build();
