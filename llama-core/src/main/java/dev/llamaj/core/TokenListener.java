package dev.llamaj.core;

/** Receives each generated token as it is produced. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param id   the token id
     * @param text the characters this token completed: never half a UTF-8 character, possibly
     *             empty (a byte token in the middle of a character, or text held back because it
     *             may start a stop string)
     */
    void onToken(int id, String text);
}
