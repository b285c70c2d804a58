package dev.klcrypt.daemon.cli;

import dev.klcrypt.blockdev.LuksImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code klcrypt luksDump IMAGE}: prints the header (no secrets). */
@Command(name = "luksDump", description = "Print the LUKS header of IMAGE.")
final class LuksDumpCommand implements Callable<Integer> {
  @Option(names = "--dump-json-metadata", description = "print the LUKS2 JSON metadata instead")
  boolean json;

  @Parameters(index = "0", paramLabel = "IMAGE")
  Path image;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(image)) {
      throw new CommandFailedException(
          ExitCode.WRONG_DEVICE, "Device " + image + " does not exist or access denied.");
    }
    String text = json ? LuksImage.dumpJson(image) : LuksImage.dump(image);
    System.out.print(text.endsWith("\n") ? text : text + "\n");
    return ExitCode.SUCCESS.code();
  }
}
