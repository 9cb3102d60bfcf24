/** Shared by the management API tests: tokens made through the domain (Slack's own path is tested end to end). */
import { type ApiClient, apiClient } from '../support/apiRequests.js';
import type { TestApp } from '../support/testApp.js';

let tokens = 0;

export interface TestToken {
  token: string;
  publicId: string;
  name: string;
  api: ApiClient;
}

export async function createToken(app: TestApp, scope: 'read' | 'write' = 'write', localAddress?: string): Promise<TestToken> {
  const name = `script-${process.pid}-${++tokens}`;
  const { token, view } = await app.context.domain.apiTokens.create({ name, scope, actor: 'UADMIN' });
  return { token, publicId: view.publicId, name, api: apiClient(app.baseUrl, token, localAddress) };
}

let keys = 0;
export const keyName = (prefix = 'api'): string => `${prefix}-${process.pid}-${++keys}`;
