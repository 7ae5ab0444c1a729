import { evidenceRoutes } from '#api/routes/evidence';
import { httpHandler, operationsFor, PAGE_HEADERS } from '#commons/http';
import { evidencePackPage } from '#presentation/evidence-pack';
import { evidencePack } from '#services/evidence';

/**
 * The evidence pack of a model version: one self-contained page an auditor files. A read: it
 * writes nothing, not even an audit event.
 */
export const operations = operationsFor(evidenceRoutes, {
  getEvidencePack: async (request) => {
    const { model, version } = request.input.path;
    const facts = await evidencePack(model, version, request.principal.id);
    return {
      statusCode: 200,
      headers: {
        ...PAGE_HEADERS,
        'content-disposition': `inline; filename="evidence-${model}-v${version}.html"`,
      },
      body: evidencePackPage(facts),
    };
  },
});

export const handler = httpHandler(evidenceRoutes, operations);
