;; SIMD vector primitives for the Word2Vec / fastText kernel (src/kernel.ts).
;; All pointers are byte offsets into the shared memory that holds the model; n is a multiple of 4.
;; Build: node tools/build-wasm.mjs (runs wat2wasm from Debian's wabt and writes src/kernel-wasm.ts).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; sum_k a[k] * b[k]
  (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc)
          (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; for k: o = out[k]; err[k] += g * o; out[k] = o + g * inp[k]
  (func (export "update") (param $e i32) (param $o i32) (param $i i32) (param $g f32) (param $n i32)
    (local $gv v128) (local $ov v128) (local $end i32)
    (local.set $gv (f32x4.splat (local.get $g)))
    (local.set $end (i32.add (local.get $e) (i32.shl (local.get $n) (i32.const 2))))
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
  (func (export "axpy") (param $y i32) (param $x i32) (param $a f32) (param $n i32)
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
  (func (export "scale") (param $y i32) (param $a f32) (param $n i32)
    (local $av v128) (local $end i32)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
        (v128.store align=4 (local.get $y) (f32x4.mul (local.get $av) (v128.load align=4 (local.get $y))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $l)))))
