package dev.klcrypt.blockdev.fault;

import java.time.Duration;

/**
 * When an armed step takes effect. A rule stays in effect from then on (until cleared or its {@code
 * times} budget is spent); an action (power cut, clear, Key Locker fault) happens once.
 */
public sealed interface Trigger {

  /** The scenario-file spelling of this trigger. */
  String text();

  /** In effect as soon as it is armed. */
  record Now() implements Trigger {
    @Override
    public String text() {
      return "now";
    }
  }

  /** In effect once {@code delay} has passed since the step (or its scenario) was armed. */
  record At(Duration delay) implements Trigger {
    public At {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("trigger delay " + delay + " is negative");
      }
    }

    @Override
    public String text() {
      return "at " + Durations.text(delay);
    }
  }

  /**
   * In effect once {@code count} operations matching {@code op} have started since arming: {@code
   * after 100 writes} affects the 101st write and everything after it.
   */
  record After(long count, BlockOp op) implements Trigger {
    public After {
      if (count < 1) {
        throw new IllegalArgumentException("trigger count " + count + " must be at least 1");
      }
    }

    @Override
    public String text() {
      return "after " + count + " " + op.pluralToken();
    }
  }

  /**
   * In effect at the first operation matching {@code op} after arming; that operation is already
   * affected.
   */
  record On(BlockOp op) implements Trigger {
    @Override
    public String text() {
      return "on " + op.token();
    }
  }
}
