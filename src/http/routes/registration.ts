import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { REGISTRATION_PATHS } from '../../core/registration/endpoints.js';
import { errorResponse, RegistrationError, type RegistrationResponse } from '../../core/registration/errors.js';
import type { RegistrableType } from '../../core/registration/metadata.js';
import type { RegistrationCall } from '../../core/registration/service.js';
import type { HttpModule } from '../context.js';
import { errorHandler } from '../errors.js';

type ClientParams = { Params: { clientId: string } };

function callOf(req: FastifyRequest, type: RegistrableType, clientId?: string): RegistrationCall {
  return {
    type,
    authorization: req.headers.authorization,
    contentType: req.headers['content-type'],
    body: req.body,
    remoteAddress: req.ip,
    userAgent: req.headers['user-agent'],
    ...(clientId !== undefined ? { clientId } : {}),
  };
}

function send(reply: FastifyReply, res: RegistrationResponse): FastifyReply {
  reply.code(res.status).headers(res.headers);
  return res.body === undefined ? reply.send() : reply.send(res.body);
}

/** Bodies the framework could not read answer in RFC 7591's terms instead of the generic handler's. */
function registrationErrors(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
  const code = 'code' in err ? err.code : undefined;
  if (status === 413) {
    send(reply, errorResponse(new RegistrationError('invalid_request', 'the request body is too large (at most 64 KiB)', 413)));
  } else if (status >= 400 && status < 500) {
    const description =
      code === 'FST_ERR_CTP_INVALID_JSON_BODY'
        ? 'the body is not valid JSON'
        : code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'the JSON body is empty'
          : code === 'LK_JSON_BOUNDS'
            ? err.message
            : 'the request body must be a JSON object sent as application/json (RFC 7591 §3.1)';
    send(reply, errorResponse(RegistrationError.metadata(description)));
  } else {
    errorHandler(err, req, reply);
  }
}

/**
 * RFC 7591 registration at the modelled server's paths, and RFC 7592 management of each
 * registration at its registration_client_uri.
 */
export const registerRegistration: HttpModule = (server, ctx) => {
  const { service } = ctx.app.registration;
  const options = { bodyLimit: 64 * 1024, errorHandler: registrationErrors };
  for (const type of ['oauth2', 'oidc'] as const) {
    const path = REGISTRATION_PATHS[type];
    server.post(path, options, async (req, reply) => send(reply, await service.register(callOf(req, type))));
    server.get<ClientParams>(`${path}/:clientId`, options, async (req, reply) => send(reply, await service.read(callOf(req, type, req.params.clientId))));
    server.put<ClientParams>(`${path}/:clientId`, options, async (req, reply) => send(reply, await service.update(callOf(req, type, req.params.clientId))));
    server.delete<ClientParams>(`${path}/:clientId`, options, async (req, reply) => send(reply, await service.remove(callOf(req, type, req.params.clientId))));
  }
};
