/**
 * Webhook fixtures: a real HTTP receiver on loopback that verifies every delivery with the
 * documented verifier (and can be told to fail), and the walk of the webhook and inbound-mail
 * operations for the OpenAPI document test.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, type WebhookVerification } from '../../src/app/webhooks/signing.js';
import type { Clock } from '../../src/app/context.js';
import { seedIncompleteReviewCase } from './cases-desk.js';
import { apiKeyWithScopes } from './facts.js';
import { as, postJson, type TestDesk } from './people.js';

export interface ReceivedDelivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
  readonly verdict: WebhookVerification;
}

export interface Receiver {
  readonly url: string;
  readonly received: ReceivedDelivery[];
  /** Event ids processed (answered 2xx). */
  readonly seen: Set<string>;
  /** Answer the next `n` deliveries with `status` (e.g. 500) before accepting. */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

/** A receiver that verifies with `secret()` against `clock` and answers 204 when it accepts. */
export async function startReceiver(secret: () => string, clock: Clock): Promise<Receiver> {
  const received: ReceivedDelivery[] = [];
  const seen = new Set<string>();
  let failures = 0;
  let failStatus = 500;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['refund-desk-signature'];
      const verdict = verifyWebhook({
        body,
        header: typeof header === 'string' ? header : undefined,
        secret: secret(),
        nowMs: clock.nowMs(),
        seenIds: seen,
      });
      let status = verdict.ok ? 204 : 400;
      if (verdict.ok && failures > 0) {
        failures -= 1;
        status = failStatus;
      }
      if (verdict.ok && status === 204) seen.add(verdict.event.id);
      received.push({ headers: req.headers, body, status, verdict });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/refund-desk`,
    received,
    seen,
    failNext(n, status = 500) {
      failures = n;
      failStatus = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One success of every webhook and inbound-mail operation (the OpenAPI walk). */
export async function walkWebhookOperations(
  d: TestDesk,
  admin: { readonly cookie?: string; readonly bearer?: string },
): Promise<void> {
  const expectStatus = async (res: Response | Promise<Response>, status: number) => {
    const answer = await res;
    if (answer.status !== status) {
      throw new Error(`walk: ${answer.status} ${await answer.text()}`);
    }
    return answer;
  };
  const created = (await (
    await expectStatus(
      d.app.request(
        '/v1/webhook-endpoints',
        postJson({ url: 'https://hooks.example/desk' }, admin),
      ),
      201,
    )
  ).json()) as { endpoint: { id: string } };
  const id = created.endpoint.id;
  await expectStatus(d.app.request('/v1/webhook-endpoints', as(admin)), 200);
  await expectStatus(
    d.app.request(`/v1/webhook-endpoints/${id}`, {
      ...postJson({ enabled: false, description: 'walked' }, admin),
      method: 'PATCH',
    }),
    200,
  );
  await expectStatus(
    d.app.request(`/v1/webhook-endpoints/${id}/deliveries?limit=5`, as(admin)),
    200,
  );

  const asked = await seedIncompleteReviewCase(d);
  const key = await apiKeyWithScopes(d.deps, ['requests:write']);
  await expectStatus(
    d.app.request(
      '/v1/inbound-mail',
      postJson(
        {
          from: 'ada@example.com',
          to: ['desk@refunds.example'],
          subject: `Re: We need more information [case ${asked.requestId}]`,
          text: 'example.com, at 2026-03-03T10:15:00Z',
        },
        { bearer: key },
      ),
    ),
    200,
  );
}
