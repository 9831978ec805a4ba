"""Client overhead: KavenegarClient.calls.create vs a bare httpx POST of the same body."""

from __future__ import annotations

import asyncio
import time

import httpx

from kavenegar import KavenegarClient
from kavenegar._models import CreateCallParams, Participant
from kavenegar.sandbox import KavenegarSandbox

ROUNDS = 500


async def main() -> None:
    async with KavenegarSandbox(api_token="bench") as sandbox:
        body = CreateCallParams(
            caller=Participant(username="a"), receptor=Participant(username="b")
        ).to_wire()
        headers = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
        async with httpx.AsyncClient() as http:
            await http.post(sandbox.base_url + "/calls", content=body, headers=headers)
            started = time.perf_counter()
            for _ in range(ROUNDS):
                (await http.post(sandbox.base_url + "/calls", content=body, headers=headers)).json()
            bare = time.perf_counter() - started
        async with KavenegarClient(api_token="bench", base_url=sandbox.base_url) as kv:
            await kv.calls.create(caller="a", receptor="b")
            started = time.perf_counter()
            for _ in range(ROUNDS):
                await kv.calls.create(caller="a", receptor="b")
            client = time.perf_counter() - started
    print(f"{ROUNDS} creates: bare httpx {bare * 1000 / ROUNDS:.2f} ms each, "
          f"KavenegarClient {client * 1000 / ROUNDS:.2f} ms each")  # fmt: skip
    print(f"client / bare httpx = {client / bare:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
