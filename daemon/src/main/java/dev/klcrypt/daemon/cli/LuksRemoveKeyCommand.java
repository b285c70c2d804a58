package dev.klcrypt.daemon.cli;

import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.kdf.Passphrase;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code klcrypt luksRemoveKey IMAGE [KEY_FILE]}: wipes the keyslot the passphrase opens. */
@Command(
    name = "luksRemoveKey",
    description = "Remove the keyslot that the given passphrase opens.")
final class LuksRemoveKeyCommand implements Callable<Integer> {
  @Option(
      names = {"--key-file", "-d"},
      paramLabel = "F",
      description = "the passphrase to remove, from F ('-' = stdin)")
  String keyFile;

  @Parameters(index = "0", paramLabel = "IMAGE")
  Path image;

  @Parameters(index = "1", paramLabel = "KEY_FILE", arity = "0..1")
  String positionalKeyFile;

  @Override
  public Integer call() throws Exception {
    String source = keyFile != null ? keyFile : positionalKeyFile;
    byte[] secret =
        PassphraseInput.system().read(source, "Enter passphrase to be deleted: ", false);
    try (Passphrase passphrase = Passphrase.fromBytes(secret);
        LocalPlatform platform = LocalPlatform.boot()) {
      LuksImage.removeKey(image, passphrase, platform.cpu());
    }
    return ExitCode.SUCCESS.code();
  }
}
