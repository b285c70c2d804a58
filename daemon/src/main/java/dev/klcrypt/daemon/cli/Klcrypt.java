package dev.klcrypt.daemon.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code klcrypt}: cryptsetup-style verbs. Header and keyslot verbs run in this process; open,
 * close and status ask the running klcryptd over its control socket.
 */
@Command(
    name = "klcrypt",
    mixinStandardHelpOptions = true,
    version = "klcrypt 0.1.0",
    description = "Manage LUKS volumes served by klcryptd (verbs and flags follow cryptsetup).",
    subcommands = {
      LuksFormatCommand.class,
      OpenCommand.class,
      CloseCommand.class,
      StatusCommand.class,
      LuksDumpCommand.class,
      LuksAddKeyCommand.class,
      LuksRemoveKeyCommand.class,
      BenchmarkCommand.class,
      PlatformCommand.class,
      FaultCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Klcrypt implements Runnable {
  @Option(
      names = "--runtime-dir",
      paramLabel = "DIR",
      defaultValue = "/run/klcrypt",
      scope = ScopeType.INHERIT,
      description = "klcryptd's runtime directory (default: ${DEFAULT-VALUE})")
  Path runtimeDir;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing verb.");
  }

  /** Builds the command line with the exit-code handler wired in. */
  public static CommandLine commandLine() {
    ExitCodeHandler handler = new ExitCodeHandler();
    return new CommandLine(new Klcrypt())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(handler)
        .setParameterExceptionHandler(handler);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
