package dev.klcrypt.daemon.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code klcrypt close NAME}: detaches the loop device open --loop made, flushes and closes the
 * volume.
 */
@Command(
    name = "close",
    aliases = "luksClose",
    description = "Stop serving volume NAME (detaches the loop device 'open --loop' attached).")
final class CloseCommand implements Callable<Integer> {
  @ParentCommand Klcrypt parent;

  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Override
  public Integer call() {
    DaemonConnection daemon = new DaemonConnection(parent.runtimeDir);
    daemon.call(daemon.request("close").put("name", name), null);
    return ExitCode.SUCCESS.code();
  }
}
