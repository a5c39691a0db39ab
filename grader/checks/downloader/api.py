"""The downloader contract's name: `download_pages(urls, max_workers=8, timeout=10.0)`, a plain
function callable with those arguments."""
from __future__ import annotations

import inspect
from typing import Any

from grader.checks import observations as shapes
from grader.probes.probing import ProbeContext
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, probe


def _bind(fn: Any, *args: Any, **kwargs: Any) -> str | None:
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        return str(exc)
    except ValueError:
        return None
    return None


@probe("downloader.api", data=shapes.Problems)
def api_probe(ctx: ProbeContext) -> dict[str, Any]:
    name = ctx.entry_points.get("download", "download")
    if not ctx.has("download"):
        return {"problems": [f"no function {name}(urls, max_workers=8, timeout=10.0) is defined "
                             f"in {ctx.filename}"]}
    fn = ctx.entry("download")
    problems: list[str] = []
    if inspect.isclass(fn) or not callable(fn):
        problems.append(f"{name} is a {type(fn).__name__}, not a function")
    elif inspect.iscoroutinefunction(fn):
        problems.append(f"{name} is an `async def` function; write a regular `def` that uses threads")
    elif (why := _bind(fn, ["https://x.test/"], max_workers=2, timeout=1.0)) is not None:
        problems.append(f"{name}(urls, max_workers=2, timeout=1.0) cannot be called: {why}")
    return {"problems": problems}


@check("downloader.api", probe="downloader.api")
def api(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if obs["problems"]:
        return failed("; ".join(obs["problems"]))
    return passed("download_pages(urls, max_workers=..., timeout=...) can be called")
