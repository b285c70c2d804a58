package dev.klcrypt.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code klcrypt fault add|list|clear}: the fault-injection harness (docs/FAULTS.md). */
@Command(
    name = "fault",
    description =
        "Arm, list or clear injected faults (block faults on a volume, Key Locker faults).",
    subcommands = {FaultCommand.Add.class, FaultCommand.ListFaults.class, FaultCommand.Clear.class})
final class FaultCommand implements Runnable {
  @ParentCommand Klcrypt parent;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "Missing verb: add, list or clear.");
  }

  DaemonConnection daemon() {
    return new DaemonConnection(parent.runtimeDir);
  }

  @Command(
      name = "add",
      description =
          "Arm one step (docs/FAULTS.md grammar) or every step of a scenario file; prints the ids."
              + " Key Locker steps without --volume take effect now.")
  static final class Add implements Callable<Integer> {
    @ParentCommand FaultCommand fault;

    @Option(names = "--volume", paramLabel = "NAME", description = "the volume the step acts on")
    String volume;

    @Option(names = "--file", paramLabel = "SCENARIO", description = "a scenario file")
    Path file;

    @Parameters(
        paramLabel = "STEP",
        arity = "0..*",
        description = "one step, e.g. 'after 100 writes powercut'")
    List<String> step;

    @Override
    public Integer call() {
      boolean hasStep = step != null && !step.isEmpty();
      if (hasStep == (file != null)) {
        throw new CommandFailedException(
            ExitCode.WRONG_PARAMETERS, "fault add needs either a STEP or --file SCENARIO.");
      }
      DaemonConnection d = fault.daemon();
      ObjectNode request = d.request("fault-add");
      if (volume != null) {
        request.put("volume", volume);
      }
      if (file != null) {
        request.put("file", file.toAbsolutePath().toString());
      } else {
        ArrayNode args = request.putArray("args");
        step.forEach(args::add);
      }
      ObjectNode reply = d.call(request, null);
      reply.path("ids").forEach(id -> System.out.println(id.asLong()));
      reply.path("applied").forEach(k -> System.out.println("keylocker " + k.asText()));
      return ExitCode.SUCCESS.code();
    }
  }

  @Command(name = "list", description = "Show armed faults: id, state, injections, step.")
  static final class ListFaults implements Callable<Integer> {
    @ParentCommand FaultCommand fault;

    @Option(names = "--volume", paramLabel = "NAME", description = "only this volume")
    String volume;

    @Override
    public Integer call() {
      DaemonConnection d = fault.daemon();
      ObjectNode request = d.request("fault-list");
      if (volume != null) {
        request.put("volume", volume);
      }
      System.out.print(format(d.call(request, null)));
      return ExitCode.SUCCESS.code();
    }
  }

  @Command(name = "clear", description = "Disarm one step, or all (and restore power after a cut).")
  static final class Clear implements Callable<Integer> {
    @ParentCommand FaultCommand fault;

    @Option(
        names = "--volume",
        paramLabel = "NAME",
        description = "the volume; without it, the platform's armed Key Locker faults")
    String volume;

    @Parameters(paramLabel = "ID", arity = "0..1", description = "one step's id")
    Long id;

    @Override
    public Integer call() {
      if (id != null && volume == null) {
        throw new CommandFailedException(
            ExitCode.WRONG_PARAMETERS, "fault clear ID needs --volume.");
      }
      DaemonConnection d = fault.daemon();
      ObjectNode request = d.request("fault-clear");
      if (volume != null) {
        request.put("volume", volume);
      }
      if (id != null) {
        request.put("id", id);
      }
      d.call(request, null);
      return ExitCode.SUCCESS.code();
    }
  }

  static String format(JsonNode reply) {
    StringBuilder out = new StringBuilder();
    StringBuilder platform = new StringBuilder();
    reply.path("platform").forEach(f -> platform.append(' ').append(f.asText()));
    out.append("platform: armed").append(platform.isEmpty() ? " (none)" : platform).append('\n');
    for (JsonNode v : reply.path("volumes")) {
      out.append("volume ")
          .append(v.path("name").asText())
          .append(v.path("poweredOff").asBoolean() ? " (POWERED OFF)" : "")
          .append(": ")
          .append(v.path("unflushedBytes").asLong())
          .append(" unflushed bytes\n");
      for (JsonNode f : v.path("faults")) {
        out.append(
            String.format(
                java.util.Locale.ROOT,
                "  %4d  %-8s %6d  %s%n",
                f.path("id").asLong(),
                f.path("state").asText(),
                f.path("injections").asLong(),
                f.path("step").asText()));
      }
    }
    return out.toString();
  }
}
