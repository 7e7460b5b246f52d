"""Scripts injected before a page's own: an API that tampers with statements, and a wallet."""

from __future__ import annotations

import json

# the statement as a dishonest API could serve it: one proof sibling's last hex digit changed
TAMPER_PROOF = """
(() => {
  const real = window.fetch;
  window.fetch = async (input, init) => {
    const response = await real(input, init);
    if (!/\\/statements\\/\\d{4}-\\d{2}$/.test(String(input).split('?')[0])) return response;
    const body = await response.json();
    const last = body.proof[0].slice(-1);
    body.proof[0] = body.proof[0].slice(0, -1) + (last === '0' ? '1' : '0');
    const { status, headers } = response;
    return new Response(JSON.stringify(body), { status, headers });
  };
})();
"""

# a larger amount, its lines changed to match: consistent, so only the chain can tell
TAMPER_AMOUNT = """
(() => {
  const real = window.fetch;
  window.fetch = async (input, init) => {
    const response = await real(input, init);
    if (!/\\/statements\\/\\d{4}-\\d{2}$/.test(String(input).split('?')[0])) return response;
    const body = await response.json();
    body.amount_minor += 100;
    body.lines[0].received_minor += 100;
    const { status, headers } = response;
    return new Response(JSON.stringify(body), { status, headers });
  };
})();
"""


def wallet(rpc: str, account: str) -> str:
    """An injected EIP-1193 wallet holding `account`, relaying to anvil (which unlocks it)."""
    return f"""
(() => {{
  const RPC = {json.dumps(rpc)};
  const ACCOUNT = {json.dumps(account)};
  window.ethereum = {{
    isTestWallet: true,
    on() {{}},
    removeListener() {{}},
    async request({{ method, params }}) {{
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [ACCOUNT];
      const answer = await fetch(RPC, {{
        method: 'POST',
        headers: {{ 'Content-Type': 'application/json' }},
        body: JSON.stringify({{ jsonrpc: '2.0', id: 1, method, params: params || [] }}),
      }});
      const body = await answer.json();
      if (body.error) throw Object.assign(new Error(body.error.message), body.error);
      return body.result;
    }},
  }};
}})();
"""
