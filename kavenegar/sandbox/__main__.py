"""``python -m kavenegar.sandbox``: serve a local Kavenegar Call API until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from . import KavenegarSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m kavenegar.sandbox",
        description="A local Kavenegar Call API for tests and demos (loopback only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765, 0 = any)")
    parser.add_argument(
        "--api-token", default="sandbox-api-token", help="the Bearer token clients must send"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.api_token))


async def _serve(host: str, port: int, api_token: str) -> None:
    async with KavenegarSandbox(api_token=api_token, host=host, port=port) as sandbox:
        print(f"Kavenegar sandbox: {sandbox.base_url}  (controls: {sandbox.control_url})")
        await asyncio.Event().wait()


if __name__ == "__main__":
    main()
