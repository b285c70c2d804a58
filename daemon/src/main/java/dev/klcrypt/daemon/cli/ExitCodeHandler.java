package dev.klcrypt.daemon.cli;

import dev.klcrypt.daemon.errno.ErrnoMapping;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParseResult;

/** The one place where a failure becomes a message on stderr and an {@link ExitCode}. */
final class ExitCodeHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

  static ExitCode exitCodeOf(Throwable failure) {
    return switch (failure) {
      case CommandFailedException e -> e.exitCode();
      case RemoteRequestException e -> ExitCode.of(e.errno());
      case CommandLine.ParameterException e -> ExitCode.WRONG_PARAMETERS;
      case NullPointerException e -> ExitCode.INTERNAL_ERROR;
      case ClassCastException e -> ExitCode.INTERNAL_ERROR;
      case IndexOutOfBoundsException e -> ExitCode.INTERNAL_ERROR;
      default -> ExitCode.of(ErrnoMapping.of(failure));
    };
  }

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    ExitCode code = exitCodeOf(ex);
    PrintWriter err = cmd.getErr();
    String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    err.println(code == ExitCode.INTERNAL_ERROR ? "klcrypt: internal error: " + ex : message);
    err.flush();
    return code.code();
  }

  @Override
  public int handleParseException(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("klcrypt: " + ex.getMessage());
    cmd.usage(err);
    err.flush();
    return ExitCode.WRONG_PARAMETERS.code();
  }
}
