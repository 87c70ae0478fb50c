package dev.cm4j.models.io;

import java.nio.file.Path;

/** A second process for {@link RunLockTest}: claims the directory in args[0], says "locked", then waits to be killed. */
public final class RunLockHolder {
    private RunLockHolder() {
    }

    public static void main(String[] args) throws Exception {
        RunLock lock = RunLock.acquire(Path.of(args[0]));
        System.out.println("locked " + lock.file());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
