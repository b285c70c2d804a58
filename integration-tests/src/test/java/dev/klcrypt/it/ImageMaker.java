package dev.klcrypt.it;

import java.io.IOException;
import java.nio.file.Path;

/** The tools that can make a LUKS image klcrypt must open. */
enum ImageMaker {
  /** {@code klcrypt luksFormat} (LUKS2, pbkdf2 with 1000 iterations to keep the suite fast). */
  KLCRYPT_LUKS2,
  /** {@code klcrypt luksFormat --type luks1}. */
  KLCRYPT_LUKS1,
  /** {@code cryptsetup luksFormat --type luks2}. */
  CRYPTSETUP_LUKS2,
  /** {@code qemu-img create -f luks} (LUKS1, 512-byte sectors). */
  QEMU_LUKS1;

  /**
   * Makes an image of {@code bytes} (total file size) at {@code image}, unlocked by {@code
   * passphrase}.
   */
  void make(Workspace ws, Path image, long bytes, String passphrase) throws IOException {
    Path key = ws.keyFile(image.getFileName() + ".key", passphrase);
    switch (this) {
      case KLCRYPT_LUKS2, KLCRYPT_LUKS1 -> {
        ws.sparseFile(image.getFileName().toString(), bytes);
        Cmd.run(
                Repo.klcrypt(),
                "luksFormat",
                "--batch-mode",
                "--type",
                this == KLCRYPT_LUKS2 ? "luks2" : "luks1",
                "--pbkdf",
                "pbkdf2",
                "--pbkdf-force-iterations",
                "1000",
                "--key-file",
                key.toString(),
                image.toString())
            .ok();
      }
      case CRYPTSETUP_LUKS2 -> {
        ws.sparseFile(image.getFileName().toString(), bytes);
        Cmd.run(
                "cryptsetup",
                "luksFormat",
                "--type",
                "luks2",
                "--pbkdf",
                "pbkdf2",
                "--pbkdf-force-iterations",
                "1000",
                "--batch-mode",
                "--key-file",
                key.toString(),
                image.toString())
            .ok();
      }
      case QEMU_LUKS1 -> {
        // qemu-img's size is the payload size; its header adds about 2 MiB. qemu times PBKDF2 on
        // CPU time and now and then fails with "Unable to get accurate CPU usage": try again.
        Cmd.Result r = null;
        for (int attempt = 0; attempt < 3 && (r == null || r.exit() != 0); attempt++) {
          java.nio.file.Files.deleteIfExists(image);
          r =
              Cmd.run(
                  "qemu-img",
                  "create",
                  "-f",
                  "luks",
                  "--object",
                  "secret,id=sec0,file=" + key,
                  "-o",
                  "key-secret=sec0,iter-time=10",
                  image.toString(),
                  Long.toString(bytes - 4L * 1024 * 1024));
        }
        r.ok();
      }
    }
  }

  /** qemu's view of a LUKS image: {@code --image-opts} for qemu-img and qemu-io. */
  static String qemuImageOpts(Path image) {
    return "driver=luks,key-secret=sec0,file.filename=" + image;
  }
}
