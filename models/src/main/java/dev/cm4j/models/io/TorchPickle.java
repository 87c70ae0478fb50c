package dev.cm4j.models.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle opcode interpreter that builds a PyTorch state dict and nothing else: the {@code data.pkl} of a
 * {@code torch.save} zip file. Python's unpickler calls whatever global the file names; this one knows a fixed set of
 * six names ({@link #ALLOWED}) and refuses any other by name at the GLOBAL opcode that names it, before it is used.
 * No code from the file runs: the only "calls" are the three constructors below, done in Java.
 *
 * <p>Values built: {@link Map} (dict, OrderedDict; insertion order), {@link List} (list), {@link Tuple}, String,
 * Long, Double, Boolean, {@link #NONE}, {@link Storage} (a persistent id {@code ('storage', torch.FloatStorage, key,
 * location, numel)}) and {@link TensorRef} (a call of {@code torch._utils._rebuild_tensor_v2(storage, offset, size,
 * stride, requires_grad, hooks[, metadata])}, or {@code torch._utils._rebuild_parameter(tensor, requires_grad, hooks)},
 * which gives the tensor: the released training code saves the EMA and the weights of a float32 run as parameters,
 * {@code state_dict[name] = master_params[i]}). Opcodes: those of protocols 0-2 that torch.save emits, and the
 * protocol 4 framing ones (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL) so a file saved with a newer protocol reads.
 * NEWOBJ, INST, OBJ, EXT* and byte strings are refused; a state dict never needs them.
 */
final class TorchPickle {
    /** The globals a state dict may name; any other is refused by name. */
    static final Set<String> ALLOWED = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter", "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage");
    /**
     * The stack and the memo never need more entries than this for a state dict (an ImageNet-64 U-Net's, 541
     * tensors, memoizes 5,815 values); a larger count is hostile and would cost heap.
     */
    private static final int MAX_ITEMS = 1 << 20;

    /** Python's None. */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** A Python tuple. */
    record Tuple(List<Object> items) {
    }

    /** An allowed global, as GLOBAL pushes it. */
    private record Global(String name) {
    }

    /** Element types of the readable storages and their widths in bytes. */
    enum DType {
        F32(4), F16(2), BF16(2);

        final int width;

        DType(int width) {
            this.width = width;
        }
    }

    /** A storage of the file ({@code <archive>/data/<key>}), numel elements of dtype. Shared by identity. */
    record Storage(String key, DType dtype, long numel) {
    }

    /** A tensor view: elements storage[offset + sum_i index_i * stride_i] for index < size. */
    record TensorRef(Storage storage, long offset, long[] size, long[] stride) {
    }

    private static final Object MARK = new Object();

    private final byte[] data;
    private final Path file;
    private final String part;
    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final Map<Integer, Object> memo = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();

    private TorchPickle(byte[] data, Path file, String part) {
        this.data = data;
        this.file = file;
        this.part = part;
        this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The object that the pickle {@code data} (the entry {@code part} of {@code file}, both only for messages)
     * describes.
     *
     * @throws CheckpointFormatException at the first opcode that is damaged, unknown or outside what a state dict
     *                                   needs, naming the opcode (or global) and its byte position
     */
    static Object load(byte[] data, Path file, String part) throws CheckpointFormatException {
        return new TorchPickle(data, file, part).run();
    }

    private CheckpointFormatException fail(int at, String problem) {
        return new CheckpointFormatException(file, "pickle " + part + " at byte " + at + ": " + problem);
    }

    private Object run() throws CheckpointFormatException {
        while (true) {
            if (!in.hasRemaining()) {
                throw fail(in.position(), "ended without STOP (truncated)");
            }
            int at = in.position();
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8(at);
                    if (proto > 5) {
                        throw fail(at, "pickle protocol " + proto + " is unknown");
                    }
                }
                case 0x95 -> skip(at, 8); // FRAME: a length hint
                case '.' -> { // STOP
                    if (stack.size() != 1) {
                        throw fail(at, "STOP with " + stack.size() + " values on the stack (expected 1)");
                    }
                    return stack.get(0);
                }
                case '(' -> push(at, MARK);
                case '0' -> pop(at); // POP
                case '1' -> popMark(at); // POP_MARK
                case 'N' -> push(at, NONE);
                case 0x88 -> push(at, Boolean.TRUE);
                case 0x89 -> push(at, Boolean.FALSE);
                case 'J' -> push(at, (long) i32(at));
                case 'K' -> push(at, (long) u8(at));
                case 'M' -> push(at, (long) u16(at));
                case 0x8a -> push(at, longN(at, u8(at)));
                case 0x8b -> push(at, longN(at, i32(at)));
                case 'G' -> {
                    need(at, 8);
                    push(at, in.order(ByteOrder.BIG_ENDIAN).getDouble());
                    in.order(ByteOrder.LITTLE_ENDIAN);
                }
                case 'X' -> push(at, text(at, i32(at), true));
                case 0x8c -> push(at, text(at, u8(at), true)); // SHORT_BINUNICODE
                case 0x8d -> push(at, text(at, longLength(at), true)); // BINUNICODE8
                case 'U' -> push(at, text(at, u8(at), false)); // SHORT_BINSTRING (protocol 2 str)
                case 'T' -> push(at, text(at, i32(at), false)); // BINSTRING
                case '}' -> push(at, new LinkedHashMap<>());
                case ']' -> push(at, new ArrayList<>());
                case ')' -> push(at, new Tuple(List.of()));
                case 0x85 -> push(at, tupleOf(at, 1));
                case 0x86 -> push(at, tupleOf(at, 2));
                case 0x87 -> push(at, tupleOf(at, 3));
                case 't' -> push(at, new Tuple(List.copyOf(popMark(at))));
                case 'l' -> push(at, new ArrayList<>(popMark(at)));
                case 'd' -> {
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putAll(at, m, popMark(at));
                    push(at, m);
                }
                case 'a' -> {
                    Object v = pop(at);
                    listAt(at, stack.size() - 1).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark(at);
                    listAt(at, stack.size() - 1).addAll(items);
                }
                case 's' -> {
                    Object v = pop(at);
                    Object k = pop(at);
                    putAll(at, dictAt(at, stack.size() - 1), List.of(k, v));
                }
                case 'u' -> {
                    List<Object> items = popMark(at);
                    putAll(at, dictAt(at, stack.size() - 1), items);
                }
                case 'q' -> memoPut(at, u8(at));
                case 'r' -> memoPut(at, i32(at));
                case 0x94 -> memoPut(at, memo.size()); // MEMOIZE
                case 'h' -> push(at, memoGet(at, u8(at)));
                case 'j' -> push(at, memoGet(at, i32(at)));
                case 'c' -> { // GLOBAL module\nname\n
                    String module = line(at);
                    String name = line(at);
                    push(at, global(at, module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail(at, "STACK_GLOBAL needs two strings");
                    }
                    push(at, global(at, m, n));
                }
                case 'Q' -> push(at, persistent(at, pop(at))); // BINPERSID
                case 'R' -> { // REDUCE
                    Object args = pop(at);
                    Object callable = pop(at);
                    push(at, reduce(at, callable, args));
                }
                case 'b' -> { // BUILD: only OrderedDict's attribute dict (a state dict's _metadata), dropped
                    Object state = pop(at);
                    if (stack.isEmpty() || !(stack.get(stack.size() - 1) instanceof Map) || !(state instanceof Map)) {
                        throw fail(at, "BUILD sets the state of an object; only a dict's attribute dict is accepted");
                    }
                }
                default -> throw fail(at, "opcode 0x" + Integer.toHexString(op) + opName(op)
                        + " is not one a state dict needs; refused");
            }
        }
    }

    private static String opName(int op) {
        return switch (op) {
            case 0x81 -> " (NEWOBJ)";
            case 0x92 -> " (NEWOBJ_EX)";
            case 'i' -> " (INST)";
            case 'o' -> " (OBJ)";
            case 0x82, 0x83, 0x84 -> " (EXT)";
            case 'P' -> " (PERSID)";
            case 'B', 'C', 0x8e -> " (BYTES)";
            default -> "";
        };
    }

    private Object global(int at, String module, String name) throws CheckpointFormatException {
        String full = module + "." + name;
        if (!ALLOWED.contains(full)) {
            throw fail(at, "names the global " + full + ", which a state dict does not need; refused without"
                    + " using it (allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2,"
                    + " torch._utils._rebuild_parameter and the float32/float16/bfloat16 storages)");
        }
        return new Global(full);
    }

    /** ('storage', storage type, key, location, numel) -> the Storage of that key (one per key). */
    private Storage persistent(int at, Object pid) throws CheckpointFormatException {
        if (!(pid instanceof Tuple t) || t.items().size() != 5 || !"storage".equals(t.items().get(0))
                || !(t.items().get(1) instanceof Global g) || !(t.items().get(2) instanceof String key)
                || !(t.items().get(4) instanceof Long numel)) {
            throw fail(at, "persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        DType dtype = switch (g.name()) {
            case "torch.FloatStorage" -> DType.F32;
            case "torch.HalfStorage" -> DType.F16;
            case "torch.BFloat16Storage" -> DType.BF16;
            default -> throw fail(at, "persistent id names " + g.name() + ", not a storage type");
        };
        if (!key.matches("[A-Za-z0-9_]{1,64}")) {
            throw fail(at, "storage key '" + key + "' is not a plain name");
        }
        if (numel < 0 || numel > Long.MAX_VALUE / 8) {
            throw fail(at, "storage " + key + " declares " + numel + " elements");
        }
        Storage s = new Storage(key, dtype, numel);
        Storage before = storages.putIfAbsent(key, s);
        if (before != null && !before.equals(s)) {
            throw fail(at, "storage " + key + " is declared twice differently (" + before.dtype() + " x "
                    + before.numel() + ", then " + dtype + " x " + numel + ")");
        }
        return before != null ? before : s;
    }

    private Object reduce(int at, Object callable, Object args) throws CheckpointFormatException {
        if (!(callable instanceof Global g) || !(args instanceof Tuple t)) {
            throw fail(at, "REDUCE of " + describe(callable) + " is not a call of an allowed global with a tuple");
        }
        List<Object> a = t.items();
        switch (g.name()) {
            case "collections.OrderedDict" -> {
                if (!a.isEmpty()) {
                    throw fail(at, "OrderedDict is built empty and filled by SETITEMS; got arguments");
                }
                return new LinkedHashMap<>();
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                if (a.size() < 6 || a.size() > 7 || !(a.get(0) instanceof Storage s) || !(a.get(1) instanceof Long off)
                        || !(a.get(2) instanceof Tuple size) || !(a.get(3) instanceof Tuple stride)
                        || !(a.get(4) instanceof Boolean) || size.items().size() != stride.items().size()) {
                    throw fail(at, "_rebuild_tensor_v2 needs (storage, offset, size, stride, requires_grad, hooks)");
                }
                if (a.get(5) instanceof Map<?, ?> hooks && !hooks.isEmpty()) {
                    throw fail(at, "a tensor with backward hooks is not state");
                }
                return new TensorRef(s, off, longs(at, size), longs(at, stride));
            }
            case "torch._utils._rebuild_parameter" -> {
                if (a.size() != 3 || !(a.get(0) instanceof TensorRef data) || !(a.get(1) instanceof Boolean)
                        || !(a.get(2) instanceof Map<?, ?> hooks) || !hooks.isEmpty()) {
                    throw fail(at, "_rebuild_parameter needs (tensor, requires_grad, no hooks)");
                }
                return data;
            }
            default -> throw fail(at, g.name() + " is not callable here");
        }
    }

    private long[] longs(int at, Tuple t) throws CheckpointFormatException {
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.items().get(i) instanceof Long v)) {
                throw fail(at, "tensor size or stride " + describe(t) + " holds a non-integer");
            }
            out[i] = v;
        }
        return out;
    }

    private static String describe(Object o) {
        String s = o instanceof Tuple t ? "tuple of " + t.items().size()
                : o instanceof Global g ? g.name() : o == null ? "nothing" : o.getClass().getSimpleName();
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    // ---------------------------------------------------------------- stack, memo, reading

    private void push(int at, Object v) throws CheckpointFormatException {
        if (stack.size() >= MAX_ITEMS) {
            throw fail(at, "more than " + MAX_ITEMS + " values on the stack");
        }
        stack.add(v);
    }

    private Object pop(int at) throws CheckpointFormatException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw fail(at, "pops from an empty stack");
        }
        return stack.remove(stack.size() - 1);
    }

    /** Pops down to the topmost MARK; returns what was above it, in order. */
    private List<Object> popMark(int at) throws CheckpointFormatException {
        int m = stack.lastIndexOf(MARK);
        if (m < 0) {
            throw fail(at, "no MARK on the stack");
        }
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Tuple tupleOf(int at, int n) throws CheckpointFormatException {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop(at);
        }
        return new Tuple(List.of(items));
    }

    @SuppressWarnings("unchecked")
    private List<Object> listAt(int at, int i) throws CheckpointFormatException {
        if (i < 0 || !(stack.get(i) instanceof List<?> l) || stack.get(i) instanceof Tuple) {
            throw fail(at, "APPEND to something that is not a list");
        }
        return (List<Object>) l;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictAt(int at, int i) throws CheckpointFormatException {
        if (i < 0 || !(stack.get(i) instanceof Map<?, ?> m)) {
            throw fail(at, "SETITEM on something that is not a dict");
        }
        return (Map<Object, Object>) m;
    }

    private void putAll(int at, Map<Object, Object> m, List<Object> kv) throws CheckpointFormatException {
        if (kv.size() % 2 != 0) {
            throw fail(at, "odd number of keys and values");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!(k instanceof String || k instanceof Long || k instanceof Boolean || k == NONE)) {
                throw fail(at, "dict key " + describe(k) + " is not a string or number");
            }
            m.put(k, kv.get(i + 1));
        }
    }

    private void memoPut(int at, int index) throws CheckpointFormatException {
        if (index < 0 || memo.size() >= MAX_ITEMS) {
            throw fail(at, "memo index " + index + " out of range");
        }
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw fail(at, "memoizes from an empty stack");
        }
        memo.put(index, stack.get(stack.size() - 1));
    }

    private Object memoGet(int at, int index) throws CheckpointFormatException {
        Object v = memo.get(index);
        if (v == null) {
            throw fail(at, "memo entry " + index + " was never stored");
        }
        return v;
    }

    private void need(int at, long n) throws CheckpointFormatException {
        if (n < 0 || n > in.remaining()) {
            throw fail(at, "needs " + n + " more bytes but " + in.remaining() + " remain (truncated or garbled)");
        }
    }

    private void skip(int at, int n) throws CheckpointFormatException {
        need(at, n);
        in.position(in.position() + n);
    }

    private int u8(int at) throws CheckpointFormatException {
        need(at, 1);
        return in.get() & 0xFF;
    }

    private int u16(int at) throws CheckpointFormatException {
        need(at, 2);
        return in.getShort() & 0xFFFF;
    }

    private int i32(int at) throws CheckpointFormatException {
        need(at, 4);
        return in.getInt();
    }

    private int longLength(int at) throws CheckpointFormatException {
        need(at, 8);
        long n = in.getLong();
        if (n < 0 || n > in.remaining()) {
            throw fail(at, "string of " + n + " bytes but " + in.remaining() + " remain");
        }
        return (int) n;
    }

    /** LONG1/LONG4: n little-endian two's-complement bytes; more than 8 is no size or index of a state dict. */
    private long longN(int at, int n) throws CheckpointFormatException {
        if (n < 0 || n > 8) {
            throw fail(at, "integer of " + n + " bytes is larger than any size a state dict holds");
        }
        need(at, n);
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) (in.get() & 0xFF) << (8 * i);
        }
        if (n > 0 && n < 8 && (v >>> (8 * n - 1) & 1) == 1) {
            v |= -1L << (8 * n); // sign-extend
        }
        return v;
    }

    private String text(int at, int n, boolean utf8) throws CheckpointFormatException {
        need(at, n);
        int start = in.position();
        in.position(start + n);
        if (!utf8) {
            return new String(data, start, n, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, start, n)).toString();
        } catch (CharacterCodingException e) {
            throw fail(at, "string is not valid UTF-8");
        }
    }

    /** A GLOBAL operand: printable ASCII up to a newline, at most 256 characters. */
    private String line(int at) throws CheckpointFormatException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            need(at, 1);
            int c = in.get() & 0xFF;
            if (c == '\n') {
                return sb.toString();
            }
            if (c < 0x20 || c > 0x7e || sb.length() > 256) {
                throw fail(at, "GLOBAL operand is not a printable name");
            }
            sb.append((char) c);
        }
    }
}
