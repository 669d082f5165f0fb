(module
  ;; Built into src/core/adapt/f64-kernels-wasm.ts by scripts/build-wasm.ts (wabt); a unit test checks the two agree.
  ;; Float64 SIMD kernels of the query-adapter trainer (src/core/adapt/f64-kernels.ts drives them). Every sum is
  ;; taken in the order the scalar JavaScript trainer took it, lane by lane, so the results are the same doubles bit
  ;; for bit; SIMD only runs two (or eight) of those sums side by side. Rows are `stride` bytes apart; the padding
  ;; past d in a row is zero wherever a kernel reads it.
  (import "env" "memory" (memory 1))

  ;; The end of one dot product: s0 = lane 0 of acc01 plus the tail a[c]·b[c] for from <= c < to, one by one; then
  ;; ((s0 + s1) + s2) + s3 with s1 = lane 1 of acc01, s2 and s3 the lanes of acc23.
  (func $finish (param $acc01 v128) (param $acc23 v128) (param $a i32) (param $b i32) (param $from i32) (param $to i32) (result f64)
    (local $s0 f64) (local $c i32) (local $o i32)
    (local.set $s0 (f64x2.extract_lane 0 (local.get $acc01)))
    (local.set $c (local.get $from))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $c) (local.get $to)))
        (local.set $o (i32.shl (local.get $c) (i32.const 3)))
        (local.set $s0 (f64.add (local.get $s0)
          (f64.mul (f64.load (i32.add (local.get $b) (local.get $o))) (f64.load (i32.add (local.get $a) (local.get $o))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tail)))
    (f64.add (f64.add (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $acc01)))
      (f64x2.extract_lane 0 (local.get $acc23))) (f64x2.extract_lane 1 (local.get $acc23))))

  ;; out[i*n + r] = a_i · b_r for i < m (a multiple of 4), r < n, over d values: four partial sums s0..s3 taking
  ;; every fourth product (b[c]·a[c]), the tail past the last multiple of 4 added to s0, then s0 + s1 + s2 + s3.
  ;; b_r outer, four a rows at a time inner: one b row is read once per four a rows.
  (func (export "dots4") (param $a i32) (param $m i32) (param $b i32) (param $n i32) (param $d i32) (param $stride i32) (param $out i32)
    (local $r i32) (local $i i32) (local $off i32) (local $end i32) (local $bp i32) (local $ap i32) (local $o i32) (local $rowOut i32)
    (local $w01 v128) (local $w23 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128) (local $x5 v128) (local $x6 v128) (local $x7 v128)
    (local.set $end (i32.shl (i32.and (local.get $d) (i32.const -4)) (i32.const 3)))
    (local.set $rowOut (i32.shl (local.get $n) (i32.const 3)))
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $bp (i32.add (local.get $b) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $i (i32.const 0))
        (block $idone
          (loop $blocks
            (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $ap (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride))))
            (local.set $x0 (v128.const f64x2 0 0)) (local.set $x1 (v128.const f64x2 0 0))
            (local.set $x2 (v128.const f64x2 0 0)) (local.set $x3 (v128.const f64x2 0 0))
            (local.set $x4 (v128.const f64x2 0 0)) (local.set $x5 (v128.const f64x2 0 0))
            (local.set $x6 (v128.const f64x2 0 0)) (local.set $x7 (v128.const f64x2 0 0))
            (local.set $off (i32.const 0))
            (block $cdone
              (loop $cols
                (br_if $cdone (i32.ge_u (local.get $off) (local.get $end)))
                (local.set $w01 (v128.load (i32.add (local.get $bp) (local.get $off))))
                (local.set $w23 (v128.load offset=16 (i32.add (local.get $bp) (local.get $off))))
                (local.set $o (i32.add (local.get $ap) (local.get $off)))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (local.get $w01) (v128.load (local.get $o)))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (local.get $w23) (v128.load offset=16 (local.get $o)))))
                (local.set $o (i32.add (local.get $o) (local.get $stride)))
                (local.set $x2 (f64x2.add (local.get $x2) (f64x2.mul (local.get $w01) (v128.load (local.get $o)))))
                (local.set $x3 (f64x2.add (local.get $x3) (f64x2.mul (local.get $w23) (v128.load offset=16 (local.get $o)))))
                (local.set $o (i32.add (local.get $o) (local.get $stride)))
                (local.set $x4 (f64x2.add (local.get $x4) (f64x2.mul (local.get $w01) (v128.load (local.get $o)))))
                (local.set $x5 (f64x2.add (local.get $x5) (f64x2.mul (local.get $w23) (v128.load offset=16 (local.get $o)))))
                (local.set $o (i32.add (local.get $o) (local.get $stride)))
                (local.set $x6 (f64x2.add (local.get $x6) (f64x2.mul (local.get $w01) (v128.load (local.get $o)))))
                (local.set $x7 (f64x2.add (local.get $x7) (f64x2.mul (local.get $w23) (v128.load offset=16 (local.get $o)))))
                (local.set $off (i32.add (local.get $off) (i32.const 32)))
                (br $cols)))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $r)) (i32.const 3))))
            (f64.store (local.get $o) (call $finish (local.get $x0) (local.get $x1) (local.get $ap) (local.get $bp) (i32.shr_u (local.get $end) (i32.const 3)) (local.get $d)))
            (local.set $o (i32.add (local.get $o) (local.get $rowOut)))
            (local.set $ap (i32.add (local.get $ap) (local.get $stride)))
            (f64.store (local.get $o) (call $finish (local.get $x2) (local.get $x3) (local.get $ap) (local.get $bp) (i32.shr_u (local.get $end) (i32.const 3)) (local.get $d)))
            (local.set $o (i32.add (local.get $o) (local.get $rowOut)))
            (local.set $ap (i32.add (local.get $ap) (local.get $stride)))
            (f64.store (local.get $o) (call $finish (local.get $x4) (local.get $x5) (local.get $ap) (local.get $bp) (i32.shr_u (local.get $end) (i32.const 3)) (local.get $d)))
            (local.set $o (i32.add (local.get $o) (local.get $rowOut)))
            (local.set $ap (i32.add (local.get $ap) (local.get $stride)))
            (f64.store (local.get $o) (call $finish (local.get $x6) (local.get $x7) (local.get $ap) (local.get $bp) (i32.shr_u (local.get $end) (i32.const 3)) (local.get $d)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $blocks)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; out[i*outStride + j] = sum over r < dp, in order, of z_i[r] · c_j[r], for i < m (even) and the 8·np candidates
  ;; held as panels: panel p is dp rows of 8 doubles (candidates 8p .. 8p+7 side by side), p outer so one panel
  ;; stays in cache while every z row passes it. outStride in bytes.
  (func (export "logits2") (param $z i32) (param $m i32) (param $panels i32) (param $np i32) (param $dp i32) (param $out i32) (param $outStride i32)
    (local $p i32) (local $i i32) (local $pp i32) (local $pc i32) (local $pend i32) (local $z0 i32) (local $z1 i32) (local $zs i32) (local $o i32)
    (local $s0 v128) (local $s1 v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128) (local $x5 v128) (local $x6 v128) (local $x7 v128)
    (local.set $zs (i32.shl (local.get $dp) (i32.const 3)))
    (block $pdone
      (loop $panelsLoop
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $np)))
        (local.set $pp (i32.add (local.get $panels) (i32.mul (local.get $p) (i32.shl (local.get $dp) (i32.const 6)))))
        (local.set $pend (i32.add (local.get $pp) (i32.shl (local.get $dp) (i32.const 6))))
        (local.set $i (i32.const 0))
        (block $idone
          (loop $pairs
            (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $z0 (i32.add (local.get $z) (i32.mul (local.get $i) (local.get $zs))))
            (local.set $z1 (i32.add (local.get $z0) (local.get $zs)))
            (local.set $x0 (v128.const f64x2 0 0)) (local.set $x1 (v128.const f64x2 0 0))
            (local.set $x2 (v128.const f64x2 0 0)) (local.set $x3 (v128.const f64x2 0 0))
            (local.set $x4 (v128.const f64x2 0 0)) (local.set $x5 (v128.const f64x2 0 0))
            (local.set $x6 (v128.const f64x2 0 0)) (local.set $x7 (v128.const f64x2 0 0))
            (local.set $pc (local.get $pp))
            (block $rdone
              (loop $r
                (br_if $rdone (i32.ge_u (local.get $pc) (local.get $pend)))
                (local.set $s0 (v128.load64_splat (local.get $z0)))
                (local.set $s1 (v128.load64_splat (local.get $z1)))
                (local.set $c0 (v128.load (local.get $pc)))
                (local.set $c1 (v128.load offset=16 (local.get $pc)))
                (local.set $c2 (v128.load offset=32 (local.get $pc)))
                (local.set $c3 (v128.load offset=48 (local.get $pc)))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (local.get $s0) (local.get $c0))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (local.get $s0) (local.get $c1))))
                (local.set $x2 (f64x2.add (local.get $x2) (f64x2.mul (local.get $s0) (local.get $c2))))
                (local.set $x3 (f64x2.add (local.get $x3) (f64x2.mul (local.get $s0) (local.get $c3))))
                (local.set $x4 (f64x2.add (local.get $x4) (f64x2.mul (local.get $s1) (local.get $c0))))
                (local.set $x5 (f64x2.add (local.get $x5) (f64x2.mul (local.get $s1) (local.get $c1))))
                (local.set $x6 (f64x2.add (local.get $x6) (f64x2.mul (local.get $s1) (local.get $c2))))
                (local.set $x7 (f64x2.add (local.get $x7) (f64x2.mul (local.get $s1) (local.get $c3))))
                (local.set $z0 (i32.add (local.get $z0) (i32.const 8)))
                (local.set $z1 (i32.add (local.get $z1) (i32.const 8)))
                (local.set $pc (i32.add (local.get $pc) (i32.const 64)))
                (br $r)))
            (local.set $o (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outStride))) (i32.shl (local.get $p) (i32.const 6))))
            (v128.store (local.get $o) (local.get $x0))
            (v128.store offset=16 (local.get $o) (local.get $x1))
            (v128.store offset=32 (local.get $o) (local.get $x2))
            (v128.store offset=48 (local.get $o) (local.get $x3))
            (local.set $o (i32.add (local.get $o) (local.get $outStride)))
            (v128.store (local.get $o) (local.get $x4))
            (v128.store offset=16 (local.get $o) (local.get $x5))
            (v128.store offset=32 (local.get $o) (local.get $x6))
            (v128.store offset=48 (local.get $o) (local.get $x7))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $pairs)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $panelsLoop))))

  ;; out_i[r] = sum over j < k, in order, of coef_i[j] · c_j[r], for i < m (even) and r < dp (a multiple of 8):
  ;; coef rows coefStride bytes apart, candidate rows c_j dp doubles each, out rows dp doubles each.
  (func (export "combine2") (param $coef i32) (param $m i32) (param $coefStride i32) (param $c i32) (param $k i32) (param $dp i32) (param $out i32)
    (local $i i32) (local $t i32) (local $j i32) (local $cs i32) (local $cf0 i32) (local $cf1 i32) (local $row i32) (local $o i32)
    (local $k0 v128) (local $k1 v128) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128) (local $x5 v128) (local $x6 v128) (local $x7 v128)
    (local.set $cs (i32.shl (local.get $dp) (i32.const 3)))
    (block $idone
      (loop $pairs
        (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $t (i32.const 0))
        (block $tdone
          (loop $tiles
            (br_if $tdone (i32.ge_u (local.get $t) (local.get $cs)))
            (local.set $x0 (v128.const f64x2 0 0)) (local.set $x1 (v128.const f64x2 0 0))
            (local.set $x2 (v128.const f64x2 0 0)) (local.set $x3 (v128.const f64x2 0 0))
            (local.set $x4 (v128.const f64x2 0 0)) (local.set $x5 (v128.const f64x2 0 0))
            (local.set $x6 (v128.const f64x2 0 0)) (local.set $x7 (v128.const f64x2 0 0))
            (local.set $cf0 (i32.add (local.get $coef) (i32.mul (local.get $i) (local.get $coefStride))))
            (local.set $cf1 (i32.add (local.get $cf0) (local.get $coefStride)))
            (local.set $row (i32.add (local.get $c) (local.get $t)))
            (local.set $j (i32.const 0))
            (block $jdone
              (loop $cands
                (br_if $jdone (i32.ge_u (local.get $j) (local.get $k)))
                (local.set $k0 (v128.load64_splat (local.get $cf0)))
                (local.set $k1 (v128.load64_splat (local.get $cf1)))
                (local.set $v0 (v128.load (local.get $row)))
                (local.set $v1 (v128.load offset=16 (local.get $row)))
                (local.set $v2 (v128.load offset=32 (local.get $row)))
                (local.set $v3 (v128.load offset=48 (local.get $row)))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (local.get $k0) (local.get $v0))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (local.get $k0) (local.get $v1))))
                (local.set $x2 (f64x2.add (local.get $x2) (f64x2.mul (local.get $k0) (local.get $v2))))
                (local.set $x3 (f64x2.add (local.get $x3) (f64x2.mul (local.get $k0) (local.get $v3))))
                (local.set $x4 (f64x2.add (local.get $x4) (f64x2.mul (local.get $k1) (local.get $v0))))
                (local.set $x5 (f64x2.add (local.get $x5) (f64x2.mul (local.get $k1) (local.get $v1))))
                (local.set $x6 (f64x2.add (local.get $x6) (f64x2.mul (local.get $k1) (local.get $v2))))
                (local.set $x7 (f64x2.add (local.get $x7) (f64x2.mul (local.get $k1) (local.get $v3))))
                (local.set $cf0 (i32.add (local.get $cf0) (i32.const 8)))
                (local.set $cf1 (i32.add (local.get $cf1) (i32.const 8)))
                (local.set $row (i32.add (local.get $row) (local.get $cs)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $cands)))
            (local.set $o (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $cs))) (local.get $t)))
            (v128.store (local.get $o) (local.get $x0))
            (v128.store offset=16 (local.get $o) (local.get $x1))
            (v128.store offset=32 (local.get $o) (local.get $x2))
            (v128.store offset=48 (local.get $o) (local.get $x3))
            (local.set $o (i32.add (local.get $o) (local.get $cs)))
            (v128.store (local.get $o) (local.get $x4))
            (v128.store offset=16 (local.get $o) (local.get $x5))
            (v128.store offset=32 (local.get $o) (local.get $x6))
            (v128.store offset=48 (local.get $o) (local.get $x7))
            (local.set $t (i32.add (local.get $t) (i32.const 64)))
            (br $tiles)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs))))

  ;; One Adam step on W (d rows of dp doubles, each a float32 value), with its moments mo and ve (same layout, float32
  ;; values too). Gradient row r: g[c] = (sum over i < m, in order, of a[r*m + i] · q_i[c]) + wd · (W[r][c] − [r = c]),
  ;; q rows dp doubles each. Then, as the scalar trainer: mk = b1·mo + omb1·g; vk = b2·ve + (omb2·g)·g;
  ;; W −= (lr·(mk/c1)) / (sqrt(vk/c2) + eps), each stored rounded to float32 (mk and vk used unrounded, as there).
  ;; dp a multiple of 16; scratch: 128 bytes.
  (func (export "adam16") (param $w i32) (param $mo i32) (param $ve i32) (param $a i32) (param $q i32) (param $m i32) (param $d i32) (param $dp i32) (param $scratch i32)
    (param $lr f64) (param $c1 f64) (param $c2 f64) (param $eps f64) (param $wd f64) (param $b1 f64) (param $omb1 f64) (param $b2 f64) (param $omb2 f64)
    (local $r i32) (local $t i32) (local $i i32) (local $cs i32) (local $ap i32) (local $qp i32) (local $e i32) (local $s i32) (local $col i32)
    (local $av v128) (local $g v128) (local $wv v128) (local $mk v128) (local $vk v128) (local $rs v128) (local $delta v128) (local $idx v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128) (local $x5 v128) (local $x6 v128) (local $x7 v128)
    (local.set $cs (i32.shl (local.get $dp) (i32.const 3)))
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $d)))
        (local.set $rs (f64x2.splat (f64.convert_i32_u (local.get $r))))
        (local.set $t (i32.const 0))
        (block $tdone
          (loop $tiles
            (br_if $tdone (i32.ge_u (local.get $t) (local.get $cs)))
            (local.set $x0 (v128.const f64x2 0 0)) (local.set $x1 (v128.const f64x2 0 0))
            (local.set $x2 (v128.const f64x2 0 0)) (local.set $x3 (v128.const f64x2 0 0))
            (local.set $x4 (v128.const f64x2 0 0)) (local.set $x5 (v128.const f64x2 0 0))
            (local.set $x6 (v128.const f64x2 0 0)) (local.set $x7 (v128.const f64x2 0 0))
            (local.set $ap (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r) (local.get $m)) (i32.const 3))))
            (local.set $qp (i32.add (local.get $q) (local.get $t)))
            (local.set $i (i32.const 0))
            (block $idone
              (loop $terms
                (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
                (local.set $av (v128.load64_splat (local.get $ap)))
                (local.set $x0 (f64x2.add (local.get $x0) (f64x2.mul (local.get $av) (v128.load (local.get $qp)))))
                (local.set $x1 (f64x2.add (local.get $x1) (f64x2.mul (local.get $av) (v128.load offset=16 (local.get $qp)))))
                (local.set $x2 (f64x2.add (local.get $x2) (f64x2.mul (local.get $av) (v128.load offset=32 (local.get $qp)))))
                (local.set $x3 (f64x2.add (local.get $x3) (f64x2.mul (local.get $av) (v128.load offset=48 (local.get $qp)))))
                (local.set $x4 (f64x2.add (local.get $x4) (f64x2.mul (local.get $av) (v128.load offset=64 (local.get $qp)))))
                (local.set $x5 (f64x2.add (local.get $x5) (f64x2.mul (local.get $av) (v128.load offset=80 (local.get $qp)))))
                (local.set $x6 (f64x2.add (local.get $x6) (f64x2.mul (local.get $av) (v128.load offset=96 (local.get $qp)))))
                (local.set $x7 (f64x2.add (local.get $x7) (f64x2.mul (local.get $av) (v128.load offset=112 (local.get $qp)))))
                (local.set $ap (i32.add (local.get $ap) (i32.const 8)))
                (local.set $qp (i32.add (local.get $qp) (local.get $cs)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $terms)))
            (v128.store (local.get $scratch) (local.get $x0))
            (v128.store offset=16 (local.get $scratch) (local.get $x1))
            (v128.store offset=32 (local.get $scratch) (local.get $x2))
            (v128.store offset=48 (local.get $scratch) (local.get $x3))
            (v128.store offset=64 (local.get $scratch) (local.get $x4))
            (v128.store offset=80 (local.get $scratch) (local.get $x5))
            (v128.store offset=96 (local.get $scratch) (local.get $x6))
            (v128.store offset=112 (local.get $scratch) (local.get $x7))
            ;; the eight pairs of this tile: columns col, col + 1 = t/8 + 2s, + 1
            (local.set $col (i32.shr_u (local.get $t) (i32.const 3)))
            (local.set $idx (f64x2.replace_lane 1 (f64x2.splat (f64.convert_i32_u (local.get $col))) (f64.convert_i32_u (i32.add (local.get $col) (i32.const 1)))))
            (local.set $s (i32.const 0))
            (block $sdone
              (loop $pairs
                (br_if $sdone (i32.ge_u (local.get $s) (i32.const 128)))
                (local.set $e (i32.add (i32.mul (local.get $r) (local.get $cs)) (i32.add (local.get $t) (local.get $s))))
                (local.set $delta (v128.and (f64x2.eq (local.get $idx) (local.get $rs)) (v128.const f64x2 1 1)))
                (local.set $wv (v128.load (i32.add (local.get $w) (local.get $e))))
                (local.set $g (f64x2.add (v128.load (i32.add (local.get $scratch) (local.get $s)))
                  (f64x2.mul (f64x2.splat (local.get $wd)) (f64x2.sub (local.get $wv) (local.get $delta)))))
                (local.set $mk (f64x2.add (f64x2.mul (f64x2.splat (local.get $b1)) (v128.load (i32.add (local.get $mo) (local.get $e))))
                  (f64x2.mul (f64x2.splat (local.get $omb1)) (local.get $g))))
                (local.set $vk (f64x2.add (f64x2.mul (f64x2.splat (local.get $b2)) (v128.load (i32.add (local.get $ve) (local.get $e))))
                  (f64x2.mul (f64x2.mul (f64x2.splat (local.get $omb2)) (local.get $g)) (local.get $g))))
                (v128.store (i32.add (local.get $mo) (local.get $e)) (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $mk))))
                (v128.store (i32.add (local.get $ve) (local.get $e)) (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $vk))))
                (v128.store (i32.add (local.get $w) (local.get $e)) (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
                  (f64x2.sub (local.get $wv)
                    (f64x2.div (f64x2.mul (f64x2.splat (local.get $lr)) (f64x2.div (local.get $mk) (f64x2.splat (local.get $c1))))
                      (f64x2.add (f64x2.sqrt (f64x2.div (local.get $vk) (f64x2.splat (local.get $c2)))) (f64x2.splat (local.get $eps))))))))
                (local.set $idx (f64x2.add (local.get $idx) (v128.const f64x2 2 2)))
                (local.set $s (i32.add (local.get $s) (i32.const 16)))
                (br $pairs)))
            (local.set $t (i32.add (local.get $t) (i32.const 128)))
            (br $tiles)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))
)
