package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs last (junit-platform.properties orders classes by @Order): the suite left no mounts, loops
 * or daemons.
 */
@Order(Integer.MAX_VALUE)
class NoLeftoversTest {
  @Test
  void noMountsLoopDevicesOrDaemonsRemain() throws Exception {
    assertThat(Leftovers.mountsBelow(Workspace.ROOT))
        .as("mounts below %s", Workspace.ROOT)
        .isEmpty();
    assertThat(Leftovers.loopDevicesBelow(Workspace.ROOT)).as("loop devices").isEmpty();
    assertThat(Leftovers.daemonsBelow(Workspace.ROOT)).as("klcryptd processes").isEmpty();
  }
}
