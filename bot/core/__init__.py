"""The platform-neutral core: parse /mj, (translate, filter, quota,) enqueue, render replies."""
