package dev.llamaj.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {
    @Test
    void textThatMayStartAStopStringIsHeldBackThenReleased() {
        Generator.StopStrings s = new Generator.StopStrings(List.of("\nUser:"));
        assertThat(s.accept("Hello")).isEqualTo("Hello");
        assertThat(s.accept(" there\nUs")).isEqualTo(" there");
        assertThat(s.accept("ually")).isEqualTo("\nUsually");
        assertThat(s.hit()).isFalse();
        assertThat(s.text()).isEqualTo("Hello there\nUsually");
    }

    @Test
    void theTextIsCutBeforeTheStopString() {
        Generator.StopStrings s = new Generator.StopStrings(List.of("END", "\n\n"));
        assertThat(s.accept("one two E")).isEqualTo("one two ");
        assertThat(s.accept("ND three")).isEmpty();
        assertThat(s.hit()).isTrue();
        assertThat(s.text()).isEqualTo("one two ");
    }

    @Test
    void withoutStopStringsEverythingPassesThrough() {
        Generator.StopStrings s = new Generator.StopStrings(List.of());
        assertThat(s.accept("abc")).isEqualTo("abc");
        assertThat(s.finish("d")).isEqualTo("d");
        assertThat(s.text()).isEqualTo("abcd");
    }
}
