package dev.klcrypt.daemon.cli;

import java.io.ByteArrayOutputStream;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads passphrases the way cryptsetup does: {@code --key-file F} is the whole file (no newline
 * stripping), {@code --key-file -} is all of stdin, otherwise a terminal prompt without echo, or,
 * when stdin is not a terminal, one line of stdin (newline excluded). Returns byte arrays the
 * caller wipes.
 */
final class PassphraseInput {
  /**
   * Longest passphrase read from a prompt or stdin line (cryptsetup's default key file limit is 8
   * MiB).
   */
  private static final int MAX_LINE = 512;

  private final InputStream stdin;
  private final Console console;

  PassphraseInput(InputStream stdin, Console console) {
    this.stdin = stdin;
    this.console = console;
  }

  static PassphraseInput system() {
    Console c = System.console();
    return new PassphraseInput(System.in, c != null && c.isTerminal() ? c : null);
  }

  /**
   * @param keyFile null to prompt; "-" for stdin
   * @param verify ask twice on a terminal (luksFormat, a new keyslot)
   */
  byte[] read(String keyFile, String prompt, boolean verify) throws IOException {
    if (keyFile != null) {
      if (keyFile.equals("-")) {
        return stdin.readAllBytes();
      }
      try {
        return Files.readAllBytes(Path.of(keyFile));
      } catch (NoSuchFileException e) {
        throw new CommandFailedException(
            ExitCode.WRONG_DEVICE, "Failed to open key file " + keyFile + ".");
      }
    }
    if (console == null) {
      return readLine();
    }
    byte[] first = prompt(prompt);
    if (!verify) {
      return first;
    }
    byte[] second = prompt("Verify passphrase: ");
    try {
      if (!Arrays.equals(first, second)) {
        Arrays.fill(first, (byte) 0);
        throw new CommandFailedException(ExitCode.WRONG_PARAMETERS, "Passphrases do not match.");
      }
      return first;
    } finally {
      Arrays.fill(second, (byte) 0);
    }
  }

  /** Asks for a yes/no confirmation; true only for "YES" (cryptsetup's rule). */
  boolean confirm(String question) throws IOException {
    if (console != null) {
      String answer = console.readLine("%s", question);
      return "YES".equals(answer);
    }
    byte[] line = readLine();
    return "YES".equals(new String(line, StandardCharsets.UTF_8));
  }

  private byte[] prompt(String prompt) {
    char[] typed = console.readPassword("%s", prompt);
    if (typed == null) {
      throw new CommandFailedException(ExitCode.WRONG_PARAMETERS, "No passphrase entered.");
    }
    try {
      ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(typed));
      byte[] out = new byte[encoded.remaining()];
      encoded.get(out);
      if (encoded.hasArray()) {
        Arrays.fill(encoded.array(), (byte) 0);
      }
      return out;
    } finally {
      Arrays.fill(typed, '\0');
    }
  }

  private byte[] readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    byte[] out = null;
    try {
      int b;
      while ((b = stdin.read()) >= 0 && b != '\n') {
        if (line.size() >= MAX_LINE) {
          throw new CommandFailedException(
              ExitCode.WRONG_PARAMETERS, "Passphrase longer than " + MAX_LINE + " bytes on stdin.");
        }
        line.write(b);
      }
      if (b < 0 && line.size() == 0) {
        throw new CommandFailedException(ExitCode.WRONG_PARAMETERS, "No passphrase on stdin.");
      }
      out = line.toByteArray();
      return out;
    } finally {
      byte[] scratch = new byte[line.size()];
      line.reset();
      line.write(scratch); // overwrite the stream's buffer
    }
  }
}
