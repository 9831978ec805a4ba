"""The public surface is a contract: sorted, complete, and importable as documented."""

import kavenegar


def test_all_is_sorted_and_complete() -> None:
    names = kavenegar.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n)), "keep __all__ sorted"
    # submodules imported on demand, not re-exported: the stand-ins and the optional transport
    optional = {"sandbox", "testing", "aiohttp_transport"}
    public = {n for n in dir(kavenegar) if not n.startswith("_")} - optional
    assert public <= set(names) | {"annotations"}
    for name in names:
        assert hasattr(kavenegar, name), name


def test_every_error_is_a_kavenegar_error() -> None:
    errors = [getattr(kavenegar, n) for n in kavenegar.__all__ if n.endswith("Error")]
    assert len(errors) == 13
    for cls in errors:
        assert issubclass(cls, kavenegar.KavenegarError), cls
    assert issubclass(kavenegar.APITimeoutError, kavenegar.APIConnectionError)
    assert issubclass(kavenegar.RateLimitError, kavenegar.APIStatusError)
