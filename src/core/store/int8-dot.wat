(module
  ;; Built into src/core/store/int8-dot-wasm.ts by scripts/build-wasm.ts (wabt); a unit test checks the two agree.
  (import "env" "memory" (memory 1))
  ;; out[r] = sum_j rows[r*stride + j] * q[j] for r < n: int8 rows (stride bytes each, a multiple of 16, zero-padded)
  ;; against an int16 query of stride values, exact in int32 (the caller bounds |q| so no sum overflows).
  (func (export "dots") (param $rows i32) (param $n i32) (param $stride i32) (param $q i32) (param $out i32)
    (local $r i32) (local $j i32) (local $acc0 v128) (local $acc1 v128) (local $v v128) (local $qp i32)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (local.set $qp (local.get $q))
        (block $rowdone
          (loop $col
            (br_if $rowdone (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $v (v128.load (i32.add (local.get $rows) (local.get $j))))
            (local.set $acc0 (i32x4.add (local.get $acc0)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (v128.load (local.get $qp)))))
            (local.set $acc1 (i32x4.add (local.get $acc1)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (v128.load offset=16 (local.get $qp)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (local.set $qp (i32.add (local.get $qp) (i32.const 32)))
            (br $col)))
        (local.set $acc0 (i32x4.add (local.get $acc0) (local.get $acc1)))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $rows (i32.add (local.get $rows) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
)
