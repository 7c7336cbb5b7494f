#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `posix_spawn` with a clean signal state, its own process group and only the three
/// standard descriptors inherited.
enum Spawn {
    struct Failure: Error {
        let code: Int32
    }

    static func spawn(
        arguments: [String],
        environment: [String],
        standardInput: Int32,
        standardOutput: Int32,
        standardError: Int32
    ) throws(Failure) -> pid_t {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)

        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
        addCloseFrom3(&actions)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else { throw Failure(code: result) }
        return pid
    }

    #if !canImport(Darwin)
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Closes every descriptor from 3 up in the child. glibc 2.34+ has
    /// `posix_spawn_file_actions_addclosefrom_np` (not exposed to Swift, so looked up);
    /// otherwise each descriptor open now is closed. Descriptors this library opens are
    /// close-on-exec anyway: this only keeps other code's descriptors out of Tansu.
    private static func addCloseFrom3(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>) {
        if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") {
            let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
            if addCloseFrom(actions, 3) == 0 { return }
        }
        let limit = min(Int32(clamping: sysconf(Int32(_SC_OPEN_MAX))), 65_536)
        guard limit > 3 else { return }
        for descriptor in 3..<limit where fcntl(descriptor, F_GETFD) >= 0 {
            posix_spawn_file_actions_addclose(actions, descriptor)
        }
    }
    #endif

    /// Blocks until `pid` exits and reaps it. Call on a thread of its own.
    static func waitForExit(_ pid: pid_t) -> EmbeddedBroker.Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR {
                // Reaped by someone else (should not happen): report an unknown exit.
                return EmbeddedBroker.Termination(status: -1, signaled: false)
            }
        }
        let low = status & 0x7f
        if low == 0 {
            return EmbeddedBroker.Termination(status: (status >> 8) & 0xff, signaled: false)
        }
        return EmbeddedBroker.Termination(status: low, signaled: true)
    }
}
