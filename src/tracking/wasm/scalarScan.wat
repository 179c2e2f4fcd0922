;; The hot loop of a TensorBoard scalar log in WebAssembly: TFRecord framing, both masked CRC32Cs
;; and the common PyTorch scalar record (Event{wall_time, step, summary{value{tag, simple_value}}}),
;; decoded into output columns; JavaScript only files the points under their tags. In JavaScript
;; the CRCs alone cost ~50 ns a record (slicing by 8 over byte loads); here the whole record is less.
;; Compiled by scripts/build-wasm.mjs into scalarScanBinary.ts; layout constants mirror scalarScan.ts.
;;
;; Memory (one fixed block, 40 pages; nothing grows):
;;        0  CRC32C tables, slicing by 8: 8 x 256 i32 (filled by JavaScript)
;;     8192  tag slot lengths: 256 bytes, tag length + 1 (0: empty)
;;     8448  tag slot bytes: 256 x 128 (tags in the fast shape are < 128 bytes)
;;    41216  output steps  f64 x 16384
;;   172288  output times  f64 x 16384 (ms)
;;   303360  output values f64 x 16384
;;   434432  output slots  u8  x 16384
;;   450816  input: up to 2 MB of the file, copied in by JavaScript
(module
  (memory (export "memory") 40)
  ;; Where the last scan stopped, why (0: not the fast shape or damaged, 1: the input ended,
  ;; 2: the output is full, 3: a tag not in its slot), and that tag's slot, start and length.
  (global $stopAt (export "stopAt") (mut i32) (i32.const 0))
  (global $reason (export "reason") (mut i32) (i32.const 0))
  (global $missSlot (export "missSlot") (mut i32) (i32.const 0))
  (global $missStart (export "missStart") (mut i32) (i32.const 0))
  (global $missLength (export "missLength") (mut i32) (i32.const 0))

  ;; CRC-32C of [i, end), not yet masked.
  (func $crc (param $i i32) (param $end i32) (result i32)
    (local $c i32) (local $a i32) (local $b i32)
    (local.set $c (i32.const -1))
    (block $done8
      (loop $by8
        (br_if $done8 (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $end)))
        (local.set $a (i32.xor (local.get $c) (i32.load (local.get $i))))
        (local.set $b (i32.load offset=4 (local.get $i)))
        (local.set $c
          (i32.xor
            (i32.xor
              (i32.xor
                (i32.load offset=7168 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2)))
                (i32.load offset=6144 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=5120 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2)))))
            (i32.xor
              (i32.xor
                (i32.load offset=3072 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2)))
                (i32.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 8)) (i32.const 255)) (i32.const 2))))
              (i32.xor
                (i32.load offset=1024 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                (i32.load (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $by8)))
    (block $done1
      (loop $by1
        (br_if $done1 (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $i))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $by1)))
    (i32.xor (local.get $c) (i32.const -1)))

  ;; TFRecord's mask: rotate right by 15, add a constant.
  (func $masked (param $c i32) (result i32)
    (i32.add (i32.rotr (local.get $c) (i32.const 15)) (i32.const 0xa282ead8)))

  ;; A tag's slot: FNV-1a of its bytes, folded to 8 bits.
  (func $slotOf (param $p i32) (param $n i32) (result i32)
    (local $h i32) (local $end i32)
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $p))) (i32.const 0x01000193)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.and (i32.xor (local.get $h) (i32.xor (i32.shr_u (local.get $h) (i32.const 8)) (i32.shr_u (local.get $h) (i32.const 16)))) (i32.const 255)))

  ;; Whether the slot holds exactly the n bytes at p.
  (func $inSlot (param $slot i32) (param $p i32) (param $n i32) (result i32)
    (local $q i32) (local $end i32)
    (if (i32.ne (i32.load8_u offset=8192 (local.get $slot)) (i32.add (local.get $n) (i32.const 1)))
      (then (return (i32.const 0))))
    (local.set $q (i32.add (i32.const 8448) (i32.shl (local.get $slot) (i32.const 7))))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.ne (i32.load8_u (local.get $p)) (i32.load8_u (local.get $q))) (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; Decodes consecutive fast-shape records of [at, end) into the output columns, from index 0.
  ;; Returns how many; stopAt/reason say where and why it stopped.
  (func (export "scan") (param $at i32) (param $end i32) (result i32)
    (local $n i32) (local $length i32) (local $p i32) (local $e i32) (local $step i64)
    (local $byte i32) (local $shift i64) (local $i i32) (local $tagLength i32) (local $tag i32)
    (local $valueAt i32) (local $slot i32)
    (global.set $reason (i32.const 0))
    (block $stop
      (loop $record
        (global.set $stopAt (local.get $at))
        (if (i32.gt_u (i32.add (local.get $at) (i32.const 12)) (local.get $end))
          (then (global.set $reason (i32.const 1)) (br $stop)))
        (if (i32.eq (local.get $n) (i32.const 16384))
          (then (global.set $reason (i32.const 2)) (br $stop)))
        (local.set $length (i32.load (local.get $at)))
        ;; Short records only (a longer one, or a length over 2^32, goes to the general decoder).
        (br_if $stop (i32.or (i32.ge_u (local.get $length) (i32.const 4096)) (i32.ne (i32.load offset=4 (local.get $at)) (i32.const 0))))
        (br_if $stop (i32.ne (call $masked (call $crc (local.get $at) (i32.add (local.get $at) (i32.const 8)))) (i32.load offset=8 (local.get $at))))
        (local.set $p (i32.add (local.get $at) (i32.const 12)))
        (local.set $e (i32.add (local.get $p) (local.get $length)))
        (if (i32.gt_u (i32.add (local.get $e) (i32.const 4)) (local.get $end))
          (then (global.set $reason (i32.const 1)) (br $stop)))
        ;; wall_time (field 1, fixed64)
        (br_if $stop (i32.or (i32.lt_u (local.get $length) (i32.const 9)) (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x09))))
        (local.set $p (i32.add (local.get $p) (i32.const 9)))
        ;; step (field 2, varint; up to 7 bytes, as the JavaScript decoder takes it)
        (local.set $step (i64.const 0))
        (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x10))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $shift (i64.const 0))
            (local.set $i (i32.const 0))
            (block $varintDone
              (loop $varint
                (br_if $stop (i32.or (i32.eq (local.get $i) (i32.const 7)) (i32.ge_u (local.get $p) (local.get $e))))
                (local.set $byte (i32.load8_u (local.get $p)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (local.set $step (i64.or (local.get $step) (i64.shl (i64.extend_i32_u (i32.and (local.get $byte) (i32.const 0x7f))) (local.get $shift))))
                (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $varintDone (i32.lt_u (local.get $byte) (i32.const 0x80)))
                (br $varint)))
            (br_if $stop (i32.ge_u (local.get $p) (local.get $e)))))
        ;; summary (field 5) > value (field 1) > tag (field 1), simple_value (field 2, fixed32), nothing else
        (br_if $stop (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x2a)))
        (br_if $stop (i32.ne (i32.load8_u offset=2 (local.get $p)) (i32.const 0x0a)))
        (br_if $stop (i32.ge_u (i32.load8_u offset=1 (local.get $p)) (i32.const 0x80)))
        (br_if $stop (i32.ne (i32.add (i32.add (local.get $p) (i32.const 2)) (i32.load8_u offset=1 (local.get $p))) (local.get $e)))
        (br_if $stop (i32.ge_u (i32.load8_u offset=3 (local.get $p)) (i32.const 0x80)))
        (br_if $stop (i32.ne (i32.add (i32.add (local.get $p) (i32.const 4)) (i32.load8_u offset=3 (local.get $p))) (local.get $e)))
        (br_if $stop (i32.ne (i32.load8_u offset=4 (local.get $p)) (i32.const 0x0a)))
        (local.set $tagLength (i32.load8_u offset=5 (local.get $p)))
        (br_if $stop (i32.ge_u (local.get $tagLength) (i32.const 0x80)))
        (local.set $tag (i32.add (local.get $p) (i32.const 6)))
        (local.set $valueAt (i32.add (local.get $tag) (local.get $tagLength)))
        (br_if $stop (i32.ne (i32.load8_u (local.get $valueAt)) (i32.const 0x15)))
        (br_if $stop (i32.ne (i32.add (local.get $valueAt) (i32.const 5)) (local.get $e)))
        (br_if $stop (i32.ne (call $masked (call $crc (i32.add (local.get $at) (i32.const 12)) (local.get $e))) (i32.load (local.get $e))))
        ;; The tag's slot must hold this tag; if not, JavaScript fills it and calls again from here.
        (local.set $slot (call $slotOf (local.get $tag) (local.get $tagLength)))
        (if (i32.eqz (call $inSlot (local.get $slot) (local.get $tag) (local.get $tagLength)))
          (then
            (global.set $reason (i32.const 3))
            (global.set $missSlot (local.get $slot))
            (global.set $missStart (local.get $tag))
            (global.set $missLength (local.get $tagLength))
            (br $stop)))
        (f64.store offset=41216 (i32.shl (local.get $n) (i32.const 3)) (f64.convert_i64_u (local.get $step)))
        (f64.store offset=172288 (i32.shl (local.get $n) (i32.const 3)) (f64.mul (f64.load offset=13 (local.get $at)) (f64.const 1000)))
        (f64.store offset=303360 (i32.shl (local.get $n) (i32.const 3)) (f64.promote_f32 (f32.load offset=1 (local.get $valueAt))))
        (i32.store8 offset=434432 (local.get $n) (local.get $slot))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $at (i32.add (local.get $e) (i32.const 4)))
        (br $record)))
    (local.get $n))

  ;; Puts a tag (n bytes at p, n < 128) in its slot.
  (func (export "fillSlot") (param $slot i32) (param $p i32) (param $n i32)
    (memory.copy (i32.add (i32.const 8448) (i32.shl (local.get $slot) (i32.const 7))) (local.get $p) (local.get $n))
    (i32.store8 offset=8192 (local.get $slot) (i32.add (local.get $n) (i32.const 1))))

  ;; Empties every slot (a new read: its tags map to other series).
  (func (export "clearSlots")
    (memory.fill (i32.const 8192) (i32.const 0) (i32.const 256))))
