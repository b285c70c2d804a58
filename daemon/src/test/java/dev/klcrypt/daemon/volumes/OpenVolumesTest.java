package dev.klcrypt.daemon.volumes;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import java.time.Clock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OpenVolumesTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "home",
        "data-1",
        "vol_2.backup",
        "x+y",
        "0123456789012345678901234567890123456789012345678901234567890123"
      })
  void acceptsFileNameSafeNames(String name) {
    assertThatCode(() -> OpenVolumes.checkName(name)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ".",
        "..",
        ".hidden",
        "a/b",
        "../etc",
        "sp ace",
        "new\nline",
        "ümlaut",
        "01234567890123456789012345678901234567890123456789012345678901234"
      })
  void refusesNamesThatAreNotPlainFileNames(String name) {
    assertThatThrownBy(() -> OpenVolumes.checkName(name))
        .isInstanceOfSatisfying(
            RequestRefusedException.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.errno()).isEqualTo(Errno.EINVAL));
  }

  @ParameterizedTest
  @ValueSource(strings = {"missing"})
  void unknownNamesAreEnoent(String name) {
    assertThatThrownBy(() -> new OpenVolumes(Clock.systemUTC()).get(name))
        .isInstanceOfSatisfying(
            RequestRefusedException.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.errno()).isEqualTo(Errno.ENOENT));
  }
}
