import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASELINE_TO_HOST_CHECKS, type BaselineToHost, type HostToBaseline } from '../../src/protocol/baseline';
import { Messenger, type WireMessage } from '../../src/protocol/messenger';
import { READINESS_TO_HOST_CHECKS, type HostToReadiness, type ReadinessToHost } from '../../src/protocol/readiness';

describe('baseline and readiness apps: every message held to its checks', () => {
  it('has a check for every method of each app', () => {
    assert.deepEqual(Object.keys(BASELINE_TO_HOST_CHECKS).sort(), ['inspectQuery', 'ready', 'trainAdapter']);
    assert.deepEqual(Object.keys(READINESS_TO_HOST_CHECKS).sort(), ['openMarkdown', 'ready', 'trainAdapter']);
  });

  it('opens the inspector only on a query id that is a short non-empty string', async () => {
    const posted: WireMessage[] = [];
    const logged: string[] = [];
    const opened: string[] = [];
    const m = new Messenger<BaselineToHost, HostToBaseline>((x) => posted.push(x), (e) => logged.push(e), BASELINE_TO_HOST_CHECKS);
    m.on('inspectQuery', ({ queryId }) => void opened.push(queryId));
    await m.receive({ kind: 'request', id: 1, method: 'inspectQuery', params: { queryId: 'q-7' } });
    for (const [id, queryId] of [[2, ''], [3, 42], [4, 'x'.repeat(201)], [5, undefined]] as const) await m.receive({ kind: 'request', id, method: 'inspectQuery', params: { queryId } });
    assert.deepEqual(opened, ['q-7']);
    assert.deepEqual(posted.map((p) => (p.kind === 'response' ? [p.id, p.error ?? 'ok'] : [])), [[1, 'ok'], [2, 'invalid inspectQuery: queryId must be a non-empty string'], [3, 'invalid inspectQuery: queryId must be a non-empty string'], [4, 'invalid inspectQuery: queryId must be a non-empty string'], [5, 'invalid inspectQuery: queryId must be a non-empty string']]);
    assert.equal(logged.length, 4);
  });

  it('drops a method the readiness app does not have (a command name smuggled in), and runs the ones it has', async () => {
    const posted: WireMessage[] = [];
    const ran: string[] = [];
    const m = new Messenger<ReadinessToHost, HostToReadiness>((x) => posted.push(x), () => undefined, READINESS_TO_HOST_CHECKS);
    m.on('trainAdapter', () => void ran.push('train'));
    m.on('openMarkdown', () => void ran.push('markdown'));
    // Registered on purpose for the test: a handler without a check is refused too.
    (m as unknown as Messenger<Record<string, [unknown, void]>, HostToReadiness>).on('executeCommand', () => void ran.push('smuggled'));
    await m.receive({ kind: 'request', id: 1, method: 'executeCommand', params: { command: 'workbench.action.terminal.new' } });
    await m.receive({ kind: 'request', id: 2, method: 'trainAdapter', params: {} });
    await m.receive({ kind: 'notification', method: 'openMarkdown', params: {} });
    assert.deepEqual(ran, ['train', 'markdown']);
    assert.deepEqual(posted[0], { kind: 'response', id: 1, error: 'invalid executeCommand: no parameter check for executeCommand' });
  });
});
