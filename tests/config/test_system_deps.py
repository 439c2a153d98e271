"""scripts/system-deps.sh waits for another apt instead of failing at once (no database, no root needed)."""

import os
import subprocess
from pathlib import Path

from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "system-deps.sh"


def _fake_bin(tmp_path: Path, *, lock_failures: int) -> Path:
    """apt-get that reports a held lock `lock_failures` times, dpkg-query that finds nothing, id that says root."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(
        "#!/usr/bin/env bash\n"
        f'count_file="{tmp_path}/count"\n'
        'n=$(cat "$count_file" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$count_file"\n'
        f'echo "$*" >> "{tmp_path}/calls"\n'
        f'if [ "$n" -le {lock_failures} ]; then\n'
        '  echo "E: Could not get lock /var/lib/apt/lists/lock" >&2; exit 100\n'
        "fi\n"
        "exit 0\n"
    )
    (bin_dir / "dpkg-query").write_text("#!/usr/bin/env bash\nexit 1\n")
    (bin_dir / "id").write_text("#!/usr/bin/env bash\necho 0\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    return bin_dir


def _run(tmp_path: Path, lock_failures: int, retries: int) -> subprocess.CompletedProcess:
    bin_dir = _fake_bin(tmp_path, lock_failures=lock_failures)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "APT_RETRY_STEP": "0",
        "APT_RETRIES": str(retries),
    }
    return subprocess.run(["bash", str(SCRIPT), "run"], env=env, capture_output=True, text=True, timeout=60)


def test_a_held_apt_lock_is_waited_for_and_retried(tmp_path):
    """GIVEN another apt holds the lock for two attempts WHEN the script installs THEN it retries and succeeds."""
    result = _run(tmp_path, lock_failures=2, retries=12)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert sum("install" in c.split() for c in calls) == 1
    assert sum("update" in c for c in calls) == 3
    # apt itself is told to wait for the dpkg lock.
    assert all("DPkg::Lock::Timeout=" in c for c in calls)
    assert "重试" in result.stderr


def test_a_lock_that_never_frees_fails_with_a_message(tmp_path):
    result = _run(tmp_path, lock_failures=99, retries=3)
    assert result.returncode != 0
    assert "系统软件包安装失败" in result.stderr
