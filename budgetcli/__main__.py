"""`budget` and `python -m budgetcli`: the app, run as the short-lived process it is."""

import gc
import os
import sys


def main() -> None:
    """Run the app with the cycle collector off, and leave without tearing down.

    Start-up makes some 100,000 objects that live until exit (Typer's commands, Rich,
    botocore's service models); the collector would walk them over and over and free
    nothing. Once a command has ended with an exit code, its output is flushed and the
    process ends at once: the interpreter's teardown would only free, module by module,
    memory that the OS takes back anyway. (Every file, thread pool and temporary
    directory of a command is closed by its `with` block before this point.)
    """
    gc.disable()
    from budgetcli.cli import main as run

    try:
        run()
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except OSError:
                raise done from None  # a closed pipe: the interpreter reports it as before
            os._exit(done.code or 0)
        raise
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
