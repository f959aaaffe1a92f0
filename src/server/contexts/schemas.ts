/**
 * Route schemas in zod: how fastify validates request parts with them and serialises answers, and the shapes every
 * route shares (the error answer). A request part that fails its schema is a 400 CT_BAD_REQUEST naming the first bad
 * field (`fromZodError`, http-errors.ts).
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchemaCompiler,
  FastifySerializerCompiler,
  RawServerDefault,
  RouteOptions,
} from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z, type ZodType } from "zod";
import { fromZodError } from "../http-errors.js";

/** The fastify instance routes are declared on: request parts typed from their zod schemas. */
export type ZodApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

const PART_NAMES: Record<string, "body" | "query" | "params" | "headers"> = {
  body: "body",
  querystring: "query",
  params: "params",
  headers: "headers",
};

/**
 * Validates a request part with its zod schema; the parsed (transformed) value replaces the part. A missing part
 * (fastify hands `null` for an absent body) is validated as `{}`, so a schema whose fields are all optional accepts it.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<ZodType> = ({ schema, httpPart }) => {
  const where = PART_NAMES[httpPart ?? "body"] ?? "body";
  // Headers carry many fields a route does not declare: when none of its (all optional) ones is present, the parse
  // would only copy them, so the request's headers pass as they are.
  const declared = where === "headers" && schema instanceof z.ZodObject && schema.safeParse({}).success ? Object.keys(schema.shape) : undefined;
  return (data) => {
    if (declared !== undefined && typeof data === "object" && data !== null && declared.every((key) => (data as Record<string, unknown>)[key] === undefined)) {
      return { value: data };
    }
    const result = schema.safeParse(data ?? {});
    return result.success ? { value: result.data } : { error: fromZodError(result.error, where) };
  };
};

/**
 * Answers are written with `JSON.stringify`, byte for byte what fastify writes without a schema: response schemas
 * describe the answers (in the OpenAPI document, and to the type checker through the routes' return types) and cost
 * nothing per request.
 */
export const jsonSerializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

/** Every error answer: `error` is what all clients read; `code` is ours; `field` names bad input. */
export const ErrorAnswerSchema = z
  .object({
    statusCode: z.number().int(),
    code: z.string(),
    error: z.string(),
    field: z.string().optional(),
    retry_after: z.number().int().optional(),
  })
  .meta({ id: "Error" });

/**
 * Adds the error answer to a route's documented responses (an `onRoute` hook of each context), with the bearer
 * requirement when the context asks for a key.
 */
export function documentRoute(security?: ReadonlyArray<Record<string, readonly string[]>>): (route: RouteOptions) => void {
  return (route) => {
    const schema = route.schema ?? {};
    const response = typeof schema.response === "object" && schema.response !== null ? schema.response : {};
    route.schema = { ...schema, response: { ...response, "4xx": ErrorAnswerSchema }, ...(security === undefined ? {} : { security }) };
  };
}
