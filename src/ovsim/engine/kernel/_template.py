"""The per-patient kernel: its source is appended to a model's generated scalar functions and compiled.

Plain scalar code (loops, ``math``, indexing; no allocation, exceptions or numpy calls), so the same text
compiles with ``numba.njit`` (CPU) and ``numba.cuda.jit(device=True)`` (GPU). It uses the generated
``rhs_scalar``, ``jac_scalar`` and ``observe_longest_diameter_cm`` and the module constants ``NL`` (lesion
states), ``NS`` (systemic states), ``ROS_A``, ``ROS_C``,
``ROS_M``, ``ROS_E``, ``ROS_GAMMA``, ``TSIT5_*`` (:mod:`._tableau`), ``METHOD`` (0: ROS34PW2, 1: ROS34PW2
with the Jacobian's diagonal, 2: Tsit5), ``ERR_EXP`` and ``DAYS_PER_MONTH``.

A patient's course: for each segment of the schedule, store the state if the segment start is an output
time (before that time's doses), add the scheduled boluses, at a visit run the label policy on the
current diameters (doses into the lesions' free virus, dose records kept), then integrate to the segment's
end with ROS34PW2 (adaptive steps, analytic Jacobian, one LU per step). The step size carries over from
segment to segment. Failure (non-finite state, step limit, step-size underflow) stops the patient and
flags the segment and every later one.

Policy options ``opts`` (float64): [0] min months, [1] max months (inf: none), [2] extension months while
responding, [3] stop on progression (0/1), [4] detection limit (cm), [5] first-visit PFU/mL, [6] later PFU/mL,
[7] volume cap per visit (mL), [8] volume scale, [9] number of diameter bands K, then K band lower bounds
(cm, ascending) and K band volumes (mL). Policy state ``pst``: [0] baseline SPD, [1] nadir SPD (cm^2),
[2] stopped (0/1), [3] visits given; ``prev`` (L,): 1 where a lesion was seen at the previous visit.
"""
# ruff: noqa: F821  (names defined by the generated header)


def lu_factor(W, piv, N):
    """In-place LU with partial pivoting of W[:N, :N] (unit lower L below the diagonal); False if singular."""
    for k in range(N):
        p = k
        m = abs(W[k, k])
        for i in range(k + 1, N):
            if abs(W[i, k]) > m:
                m = abs(W[i, k])
                p = i
        piv[k] = p
        if not (m > 0.0):
            return False
        if p != k:
            for c in range(N):
                tmp = W[k, c]
                W[k, c] = W[p, c]
                W[p, c] = tmp
        inv = 1.0 / W[k, k]
        for i in range(k + 1, N):
            f = W[i, k] * inv
            W[i, k] = f
            if f != 0.0:
                for c in range(k + 1, N):
                    W[i, c] -= f * W[k, c]
    return True


def lu_solve(W, piv, b, N):
    """Solve (LU) x = b in place, with the row swaps of :func:`lu_factor`."""
    for k in range(N):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(N):
        s = b[i]
        for c in range(i):
            s -= W[i, c] * b[c]
        b[i] = s
    for i in range(N - 1, -1, -1):
        s = b[i]
        for c in range(i + 1, N):
            s -= W[i, c] * b[c]
        b[i] = s / W[i, i]


def ros_step(t, y, h, f0, J, W, piv, U, ytmp, fs, ynew, P, Q, rate, n, N, atol, rtol):
    """One ROS34PW2 step of size h from (t, y) with f0 = f(y) and J = df/dy; ynew; returns the error norm
    (inf when the step cannot be taken: singular matrix or non-finite values)."""
    d = 1.0 / (h * ROS_GAMMA)
    if METHOD == 1:
        for r in range(N):
            W[r, r] = d - J[r, r]
            if not (W[r, r] != 0.0):
                return math.inf
    else:
        for r in range(N):
            for c in range(N):
                W[r, c] = -J[r, c]
            W[r, r] += d
        if not lu_factor(W, piv, N):
            return math.inf
    for i in range(4):
        if i == 0:
            for r in range(N):
                U[0, r] = f0[r]
        else:
            for r in range(N):
                s = y[r]
                for j in range(i):
                    s += ROS_A[i, j] * U[j, r]
                ytmp[r] = s
            rhs_scalar(t, ytmp, P, Q, rate, n, fs)
            for r in range(N):
                s = fs[r]
                for j in range(i):
                    s -= (ROS_C[i, j] / h) * U[j, r]
                U[i, r] = s
        if METHOD == 1:
            for r in range(N):
                U[i, r] = U[i, r] / W[r, r]
        else:
            lu_solve(W, piv, U[i], N)
    acc = 0.0
    for r in range(N):
        s = y[r]
        e = 0.0
        for i in range(4):
            s += ROS_M[i] * U[i, r]
            e += ROS_E[i] * U[i, r]
        ynew[r] = s
        sc = atol[r] + rtol * max(abs(y[r]), abs(s))
        acc += (e / sc) * (e / sc)
    err = math.sqrt(acc / N)
    if not (err < math.inf):
        return math.inf
    return err


def erk_step(t, y, h, f0, K, ytmp, ynew, P, Q, rate, n, N, atol, rtol):
    """One Tsit5 step of size h from (t, y) with f0 = f(y): ynew, and f(ynew) in K[6] (first same as last);
    returns the error norm (inf when non-finite)."""
    for r in range(N):
        K[0, r] = f0[r]
    for i in range(1, 7):
        for r in range(N):
            s = 0.0
            for j in range(i):
                s += TSIT5_A[i, j] * K[j, r]
            ytmp[r] = y[r] + h * s
        if i < 6:
            rhs_scalar(t + TSIT5_C[i] * h, ytmp, P, Q, rate, n, K[i])
        else:
            for r in range(N):
                ynew[r] = ytmp[r]
            rhs_scalar(t + h, ynew, P, Q, rate, n, K[6])
    acc = 0.0
    for r in range(N):
        e = 0.0
        for i in range(7):
            e += TSIT5_E[i] * K[i, r]
        e *= h
        sc = atol[r] + rtol * max(abs(y[r]), abs(ynew[r]))
        acc += (e / sc) * (e / sc)
    err = math.sqrt(acc / N)
    if not (err < math.inf):
        return math.inf
    return err


def rint(x):
    """Round half to even (numpy's ``round``)."""
    r = math.floor(x + 0.5)
    if r - x == 0.5 and r % 2.0 != 0.0:
        r -= 1.0
    return r


def label_visit(opts, t, first, diam, inj, L, prev, pst, vol, want, order):
    """The label policy at one visit (see :func:`ovsim.regimen.policy_step`): volumes (mL) into ``vol``;
    returns the concentration (PFU/mL, 0 when nothing is given); updates ``prev`` and ``pst``."""
    det = opts[4]
    months = t / DAYS_PER_MONTH
    spd = 0.0
    any_eligible = False
    for l in range(L):
        if diam[l] >= det:
            spd += diam[l] * diam[l]
            if inj[l]:
                any_eligible = True
    baseline = spd if first else pst[0]
    nadir = spd if first else pst[1]
    responding = spd <= 0.5 * baseline
    progressed = spd >= 1.25 * nadir and spd > 0.0
    past_max = months >= opts[1] and not (responding and months < opts[1] + opts[2])
    stop_progression = opts[3] > 0.5 and months >= opts[0] and progressed
    stopped = pst[2] > 0.5 or past_max or stop_progression
    give = (not stopped) and any_eligible
    K = int(opts[9])
    for l in range(L):
        present = diam[l] >= det
        eligible = present and inj[l]
        band = 0.0
        for k in range(K):
            if diam[l] > opts[10 + k]:
                band = opts[10 + K + k]
        want[l] = rint(band * opts[8] * 10.0) if eligible else 0.0
        order[l] = l
    # priority: eligible new lesions (not at the first visit), then other eligible, then the rest; larger first;
    # ties by position (insertion sort on the key, stable)
    for a in range(1, L):
        cur = order[a]
        b = a - 1
        while b >= 0 and _before(cur, order[b], first, diam, inj, prev, det):
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = cur
    cap = rint(opts[7] * 10.0)
    used = 0.0
    for a in range(L):
        l = order[a]
        g = min(max(cap - used, 0.0), want[l])
        used += want[l]
        vol[l] = (g / 10.0) if give else 0.0
    conc = (opts[5] if first else opts[6]) if give else 0.0
    for l in range(L):
        prev[l] = 1.0 if diam[l] >= det else 0.0
    pst[0] = baseline
    pst[1] = min(nadir, spd)
    pst[2] = 1.0 if stopped else 0.0
    pst[3] += 1.0 if give else 0.0
    return conc


def _before(i, j, first, diam, inj, prev, det):
    """True if lesion i strictly precedes lesion j in the label's injection order (position breaks ties)."""
    gi = _group(i, first, diam, inj, prev, det)
    gj = _group(j, first, diam, inj, prev, det)
    if gi != gj:
        return gi > gj
    di = diam[i] if gi > 0 else -1.0
    dj = diam[j] if gj > 0 else -1.0
    if di != dj:
        return di > dj
    return i < j


def _group(l, first, diam, inj, prev, det):
    present = diam[l] >= det
    if not (present and inj[l]):
        return 0
    return 2 if (not first and prev[l] < 0.5) else 1


def quiet(k, S, has_policy, visit_index, bolus, rate, N):
    """True if nothing happens at boundary k (0 < k < S): no bolus, no visit, the same zero-order inputs as before;
    the integrator passes it without stopping (an output there comes from interpolation)."""
    if k >= S:
        return False
    if has_policy and visit_index[k] >= 0:
        return False
    for r in range(N):
        if bolus[k, r] != 0.0 or rate[k, r] != rate[k - 1, r]:
            return False
    return True


def hermite(y0, f0, y1, f1, t0, h, t, out, N):
    """Cubic Hermite interpolation at t in [t0, t0 + h] between (y0, f0) and (y1, f1) into out."""
    th = (t - t0) / h
    h00 = (1.0 + 2.0 * th) * (1.0 - th) * (1.0 - th)
    h10 = th * (1.0 - th) * (1.0 - th)
    h01 = th * th * (3.0 - 2.0 * th)
    h11 = th * th * (th - 1.0)
    for r in range(N):
        out[r] = h00 * y0[r] + h10 * h * f0[r] + h01 * y1[r] + h11 * h * f1[r]


def tsit5_dense(y0, K, t0, h, t, out, N):
    """Tsit5's own continuous extension (Tsitouras 2011, as diffrax evaluates it) at t in [t0, t0 + h] from the
    step's start y0 and its stages K (derivatives, per day) into out."""
    th = (t - t0) / h
    b1 = -1.0530884977290216 * th * (th - 1.3299890189751412) * (th * th - 1.4364028541716351 * th
                                                                 + 0.7139816917074209)
    b2 = 0.1017 * th * th * (th * th - 2.1966568338249754 * th + 1.2949852507374631)
    b3 = 2.490627285651252793 * th * th * (th * th - 2.38535645472061657 * th + 1.57803468208092486)
    b4 = -16.54810288924490272 * (th - 1.21712927295533244) * (th - 0.61620406037800089) * th * th
    b5 = 47.37952196281928122 * (th - 1.203071208372362603) * (th - 0.658047292653547382) * th * th
    b6 = -34.87065786149660974 * (th - 1.2) * (th - 0.666666666666666667) * th * th
    b7 = 2.5 * (th - 1.0) * (th - 0.6) * th * th
    for r in range(N):
        out[r] = y0[r] + h * (b1 * K[0, r] + b2 * K[1, r] + b3 * K[2, r] + b4 * K[3, r] + b5 * K[4, r]
                              + b6 * K[5, r] + b7 * K[6, r])


def solve_patient(y, P, Q, n, inj, bounds, visit_index, bolus, rate, out_row, opts, has_policy, target, frac, rtol, atol,
                  max_steps, out_states, rec_vol, rec_conc, seg_ok, steps,
                  J, W, piv, U, f0, ytmp, fs, ynew, diam, prev, pst, vol, want, order):
    """Integrate one patient's whole course in place (``y``: (N,) initial state, overwritten); True if it succeeded.

    has_policy: whether visits run the label policy, dosing ``frac`` x PFU into lesion state ``target`` (0-based
    position among the lesion states); inj (n,) bool; bounds (S+1,) days; visit_index (S,) -1 or the visit's 0-based
    number; bolus, rate (S, N); out_row (S+1,) output row of each boundary or -1; out_states (G, N); rec_vol (S, n) mL;
    rec_conc (S,) PFU/mL; seg_ok (S,) bool; steps (S,) accepted steps that start in each segment; the rest is scratch
    (N x N, (7, N), (N,), (n,), (4,)).

    The integrator stops only at boundaries where something happens (a dose, a visit, a change of infusion rate);
    it passes the others, and outputs there come from interpolation within the step that spans them (Tsit5's
    own continuous extension; cubic Hermite for ROS34PW2)."""
    N = n * NL + NS
    S = bounds.shape[0] - 1
    for l in range(n):
        prev[l] = 0.0
    for k in range(4):
        pst[k] = 0.0
    h = 1e-2
    ok = True
    for k in range(S):
        seg_ok[k] = False
        steps[k] = 0
        rec_conc[k] = 0.0
        for l in range(n):
            rec_vol[k, l] = 0.0
    k = 0
    while k < S:
        t0 = bounds[k]
        if out_row[k] >= 0:
            for r in range(N):
                out_states[out_row[k], r] = y[r]
        jumped = k == 0
        if has_policy and visit_index[k] >= 0:
            observe_longest_diameter_cm(y, P, Q, n, diam)
        for r in range(N):
            if bolus[k, r] != 0.0:
                y[r] += bolus[k, r]
                jumped = True
        if has_policy and visit_index[k] >= 0:
            conc = label_visit(opts, t0, visit_index[k] == 0, diam, inj, n, prev, pst, vol, want, order)
            rec_conc[k] = conc
            for l in range(n):
                rec_vol[k, l] = vol[l]
                if vol[l] > 0.0:
                    y[l * NL + target] += vol[l] * conc * frac
                    jumped = True
        if k > 0:
            for r in range(N):
                if rate[k, r] != rate[k - 1, r]:
                    jumped = True
        if jumped:
            h = min(h, 1e-2)
        e = k + 1
        while quiet(e, S, has_policy, visit_index, bolus, rate, N):
            e += 1
        t1 = bounds[e]
        seg = k  # the segment the current step starts in
        nxt = k + 1  # the next boundary passed inside (k < nxt < e) whose output is interpolated
        rhs_scalar(t0, y, P, Q, rate[k], n, f0)
        t = t0
        count = 0
        fresh_jac = False
        while t < t1:
            if count >= max_steps:
                ok = False
                break
            last = t + h >= t1 - 1e-12 * max(1.0, abs(t1))
            hh = (t1 - t) if last else h
            if METHOD == 2:
                err = erk_step(t, y, hh, f0, U, ytmp, ynew, P, Q, rate[k], n, N, atol, rtol)
            else:
                if not fresh_jac:
                    jac_scalar(t, y, P, Q, n, J)
                    fresh_jac = True
                err = ros_step(t, y, hh, f0, J, W, piv, U, ytmp, fs, ynew, P, Q, rate[k], n, N, atol, rtol)
            if err <= 1.0:
                t_new = t1 if last else t + hh
                if METHOD == 2:
                    for r in range(N):
                        fs[r] = U[6, r]
                else:
                    rhs_scalar(t_new, ynew, P, Q, rate[k], n, fs)
                while nxt < e and bounds[nxt] <= t_new:
                    if out_row[nxt] >= 0 and METHOD == 2:
                        tsit5_dense(y, U, t, t_new - t, bounds[nxt], out_states[out_row[nxt]], N)
                    elif out_row[nxt] >= 0:
                        hermite(y, f0, ynew, fs, t, t_new - t, bounds[nxt], out_states[out_row[nxt]], N)
                    nxt += 1
                steps[seg] += 1
                count += 1
                for r in range(N):
                    y[r] = ynew[r]
                    f0[r] = fs[r]
                t = t_new
                while seg + 1 < e and bounds[seg + 1] <= t:
                    seg_ok[seg] = True
                    seg += 1
                fresh_jac = False
                fac = 6.0 if err == 0.0 else min(6.0, max(0.2, 0.9 * err ** (-ERR_EXP)))
                if not (last and hh < h):
                    h = hh * fac
            else:
                h = hh * max(0.2, 0.9 * err ** (-ERR_EXP)) if err < math.inf else hh * 0.2
                if h < 1e-12 * max(1.0, abs(t)):
                    ok = False
                    break
        for r in range(N):
            if not (abs(y[r]) < math.inf):
                ok = False
        if not ok:
            break
        for q in range(k, e):
            seg_ok[q] = True
        k = e
    if ok and out_row[S] >= 0:
        for r in range(N):
            out_states[out_row[S], r] = y[r]
    return ok
