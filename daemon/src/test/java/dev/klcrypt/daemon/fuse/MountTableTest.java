package dev.klcrypt.daemon.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MountTableTest {
  private final MountTable table;

  MountTableTest() throws URISyntaxException {
    table = new MountTable(Path.of(getClass().getResource("mountinfo.txt").toURI()));
  }

  @Test
  void findsFuseMountsIncludingEscapedPaths() throws Exception {
    assertThat(table.isFuseMount(Path.of("/run/klcrypt/volumes"))).isTrue();
    assertThat(table.isFuseMount(Path.of("/tmp/with space/volumes"))).isTrue();
    assertThat(table.isFuseMount(Path.of("/mnt/data"))).isFalse(); // ext4
    assertThat(table.isMountPoint(Path.of("/mnt/data"))).isTrue();
    assertThat(table.isMountPoint(Path.of("/run/klcrypt"))).isFalse();
  }

  @Test
  void readsTypes() throws Exception {
    assertThat(table.mounts())
        .extracting(MountTable.Mount::fsType)
        .containsExactly("ext4", "proc", "fuse.klcrypt", "fuse.klcrypt", "ext4");
  }

  @Test
  void unescapesOctal() {
    assertThat(MountTable.unescape("a\\040b\\011c\\134d")).isEqualTo("a b\tc\\d");
    assertThat(MountTable.unescape("trailing\\04")).isEqualTo("trailing\\04");
  }
}
