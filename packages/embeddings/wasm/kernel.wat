;; SIMD vector primitives for the Word2Vec / fastText kernel (src/kernel.ts).
;; All pointers are byte offsets into the shared memory that holds the model; n is a multiple of 4.
;; Build: node tools/build-wasm.mjs (runs wat2wasm from Debian's wabt and writes src/kernel-wasm.ts).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; sum_k a[k] * b[k] (16 floats per step in four independent accumulators, then 4)
  (func $dot (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc v128) (local $acc2 v128) (local $acc3 v128) (local $acc4 v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (block $done16
      (loop $l16
        (br_if $done16 (i32.gt_u (i32.add (local.get $a) (i32.const 64)) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b)))))
        (local.set $acc2 (f32x4.add (local.get $acc2)
          (f32x4.mul (v128.load offset=16 align=4 (local.get $a)) (v128.load offset=16 align=4 (local.get $b)))))
        (local.set $acc3 (f32x4.add (local.get $acc3)
          (f32x4.mul (v128.load offset=32 align=4 (local.get $a)) (v128.load offset=32 align=4 (local.get $b)))))
        (local.set $acc4 (f32x4.add (local.get $acc4)
          (f32x4.mul (v128.load offset=48 align=4 (local.get $a)) (v128.load offset=48 align=4 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $l16)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l)))
    (local.set $acc (f32x4.add (f32x4.add (local.get $acc) (local.get $acc2)) (f32x4.add (local.get $acc3) (local.get $acc4))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; for k: o = out[k]; err[k] += g * o; out[k] = o + g * inp[k]  (8 floats per step, then 4)
  (func $update (export "update") (param $e i32) (param $o i32) (param $i i32) (param $g f32) (param $n i32)
    (local $gv v128) (local $ov v128) (local $ov2 v128) (local $end i32)
    (local.set $gv (f32x4.splat (local.get $g)))
    (local.set $end (i32.add (local.get $e) (i32.shl (local.get $n) (i32.const 2))))
    (block $done8
      (loop $l8
        (br_if $done8 (i32.gt_u (i32.add (local.get $e) (i32.const 32)) (local.get $end)))
        (local.set $ov (v128.load align=4 (local.get $o)))
        (local.set $ov2 (v128.load offset=16 align=4 (local.get $o)))
        (v128.store align=4 (local.get $e)
          (f32x4.add (v128.load align=4 (local.get $e)) (f32x4.mul (local.get $gv) (local.get $ov))))
        (v128.store offset=16 align=4 (local.get $e)
          (f32x4.add (v128.load offset=16 align=4 (local.get $e)) (f32x4.mul (local.get $gv) (local.get $ov2))))
        (v128.store align=4 (local.get $o)
          (f32x4.add (local.get $ov) (f32x4.mul (local.get $gv) (v128.load align=4 (local.get $i)))))
        (v128.store offset=16 align=4 (local.get $o)
          (f32x4.add (local.get $ov2) (f32x4.mul (local.get $gv) (v128.load offset=16 align=4 (local.get $i)))))
        (local.set $e (i32.add (local.get $e) (i32.const 32)))
        (local.set $o (i32.add (local.get $o) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l8)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $e) (local.get $end)))
        (local.set $ov (v128.load align=4 (local.get $o)))
        (v128.store align=4 (local.get $e)
          (f32x4.add (v128.load align=4 (local.get $e)) (f32x4.mul (local.get $gv) (local.get $ov))))
        (v128.store align=4 (local.get $o)
          (f32x4.add (local.get $ov) (f32x4.mul (local.get $gv) (v128.load align=4 (local.get $i)))))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l))))

  ;; y[k] += a * x[k]
  (func $axpy (export "axpy") (param $y i32) (param $x i32) (param $a f32) (param $n i32)
    (local $av v128) (local $end i32)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store align=4 (local.get $y)
          (f32x4.add (v128.load align=4 (local.get $y)) (f32x4.mul (local.get $av) (v128.load align=4 (local.get $x)))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l))))

  ;; y[k] *= a
  (func $scale (export "scale") (param $y i32) (param $a f32) (param $n i32)
    (local $av v128) (local $end i32)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store align=4 (local.get $y) (f32x4.mul (local.get $av) (v128.load align=4 (local.get $y))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $l))))

  ;; Touch every 64-byte line of the `bytes`-long row at `p` so that its cache misses overlap
  ;; (WebAssembly has no prefetch instruction); returns a sum the caller stores, so the loads stay.
  (func $touch (param $p i32) (param $bytes i32) (result f32)
    (local $end i32) (local $s f32)
    (local.set $end (i32.add (local.get $p) (local.get $bytes)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br $l)))
    (local.get $s))

  ;; One positive and `neg` negative-sampling updates of the input vector at `l1` against the
  ;; output rows (`out + id*dim*4`), as word2vec.c: the negatives are drawn first from the int32
  ;; table at `table` (index = high 32 bits of rnd × tsize) with the caller's xorshift32 state
  ;; `rnd` (returned) and written to the int32 scratch at `tg` (neg + 2 slots), and the rows they
  ;; need are touched so that their cache misses overlap; the sigmoid is read from the 1000-entry
  ;; table at `exp`; an update whose gradient is exactly 0 is skipped, which changes nothing.
  ;; flags bit 0: zero the error vector first; bit 1: add it to `l1` at the end.
  (func $negative (export "negative") (param $l1 i32) (param $word i32) (param $neg i32) (param $alpha f32)
      (param $table i32) (param $tsize i32) (param $exp i32) (param $err i32) (param $out i32)
      (param $dim i32) (param $rnd i32) (param $flags i32) (param $tg i32) (result i32)
    (local $d i32) (local $target i32) (local $label f32) (local $l2 i32) (local $f f32) (local $g f32)
    (local $p i32) (local $end i32) (local $n i32) (local $rowb i32) (local $pf f32)
    (local.set $rowb (i32.shl (local.get $dim) (i32.const 2)))
    ;; targets: tg[0] = word, then the negatives that differ from word
    (i32.store (local.get $tg) (local.get $word))
    (local.set $pf (call $touch (i32.add (local.get $out) (i32.mul (local.get $word) (local.get $rowb))) (local.get $rowb)))
    (local.set $n (i32.const 1))
    (local.set $d (i32.const 1))
    (block $dd (loop $dl
      (br_if $dd (i32.gt_s (local.get $d) (local.get $neg)))
      (local.set $rnd (i32.xor (local.get $rnd) (i32.shl (local.get $rnd) (i32.const 13))))
      (local.set $rnd (i32.xor (local.get $rnd) (i32.shr_u (local.get $rnd) (i32.const 17))))
      (local.set $rnd (i32.xor (local.get $rnd) (i32.shl (local.get $rnd) (i32.const 5))))
      (local.set $target (i32.load (i32.add (local.get $table)
        (i32.shl (i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u (local.get $rnd)) (i64.extend_i32_u (local.get $tsize))) (i64.const 32)))
          (i32.const 2)))))
      (if (i32.ne (local.get $target) (local.get $word))
        (then
          (i32.store (i32.add (local.get $tg) (i32.shl (local.get $n) (i32.const 2))) (local.get $target))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $dl)))
    (local.set $d (i32.const 1))
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $d) (local.get $n)))
      (local.set $pf (f32.add (local.get $pf) (call $touch
        (i32.add (local.get $out) (i32.mul (i32.load (i32.add (local.get $tg) (i32.shl (local.get $d) (i32.const 2)))) (local.get $rowb)))
        (local.get $rowb))))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $tl)))
    (f32.store (i32.add (local.get $tg) (i32.shl (local.get $n) (i32.const 2))) (local.get $pf))
    (if (i32.and (local.get $flags) (i32.const 1))
      (then
        (local.set $p (local.get $err))
        (local.set $end (i32.add (local.get $err) (local.get $rowb)))
        (block $zd (loop $zl
          (br_if $zd (i32.ge_u (local.get $p) (local.get $end)))
          (v128.store align=4 (local.get $p) (v128.const i32x4 0 0 0 0))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $zl)))))
    (local.set $d (i32.const 0))
    (local.set $label (f32.const 1))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $d) (local.get $n)))
        (local.set $l2 (i32.add (local.get $out) (i32.mul (i32.load (i32.add (local.get $tg) (i32.shl (local.get $d) (i32.const 2)))) (local.get $rowb))))
        (local.set $f (call $dot (local.get $l1) (local.get $l2) (local.get $dim)))
        (if (f32.gt (local.get $f) (f32.const 6))
          (then (local.set $g (f32.mul (f32.sub (local.get $label) (f32.const 1)) (local.get $alpha))))
          (else
            (if (f32.lt (local.get $f) (f32.const -6))
              (then (local.set $g (f32.mul (local.get $label) (local.get $alpha))))
              (else
                (local.set $g (f32.mul (local.get $alpha)
                  (f32.sub (local.get $label)
                    (f32.load (i32.add (local.get $exp)
                      (i32.shl (i32.trunc_f32_s (f32.mul (f32.add (local.get $f) (f32.const 6)) (f32.const 83.33333)))
                        (i32.const 2)))))))))))
        (if (f32.ne (local.get $g) (f32.const 0))
          (then (call $update (local.get $err) (local.get $l2) (local.get $l1) (local.get $g) (local.get $dim))))
        (local.set $label (f32.const 0))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $l)))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then (call $axpy (local.get $l1) (local.get $err) (f32.const 1) (local.get $dim))))
    (local.get $rnd))

  ;; A hidden layer made of input rows (CBOW's context words, or fastText's subwords): `hid` =
  ;; mean (`mean` 1) or sum of the `nrows` rows of `syn0` whose ids are the int32s at `rows`;
  ;; negative sampling for `word` against it (accumulating the error at `err`); then the error is
  ;; added to every one of those rows. Returns the new random state.
  (func (export "hidden") (param $rows i32) (param $nrows i32) (param $mean i32) (param $hid i32) (param $err i32)
      (param $syn0 i32) (param $word i32) (param $neg i32) (param $alpha f32) (param $table i32) (param $tsize i32)
      (param $exp i32) (param $out i32) (param $dim i32) (param $rnd i32) (param $tg i32) (result i32)
    (local $r i32) (local $p i32) (local $end i32) (local $rowb i32)
    (local.set $rowb (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $p (local.get $hid))
    (local.set $end (i32.add (local.get $hid) (local.get $rowb)))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $p) (local.get $end)))
      (v128.store align=4 (local.get $p) (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $zl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $r) (local.get $nrows)))
      (call $axpy (local.get $hid)
        (i32.add (local.get $syn0) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $rowb)))
        (f32.const 1) (local.get $dim))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $sl)))
    (if (i32.and (local.get $mean) (i32.gt_u (local.get $nrows) (i32.const 1)))
      (then (call $scale (local.get $hid) (f32.div (f32.const 1) (f32.convert_i32_u (local.get $nrows))) (local.get $dim))))
    (local.set $rnd (call $negative (local.get $hid) (local.get $word) (local.get $neg) (local.get $alpha) (local.get $table)
      (local.get $tsize) (local.get $exp) (local.get $err) (local.get $out) (local.get $dim) (local.get $rnd) (i32.const 1) (local.get $tg)))
    (local.set $r (i32.const 0))
    (block $ud (loop $ul
      (br_if $ud (i32.ge_u (local.get $r) (local.get $nrows)))
      (call $axpy
        (i32.add (local.get $syn0) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $rowb)))
        (local.get $err) (f32.const 1) (local.get $dim))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $ul)))
    (local.get $rnd)))
