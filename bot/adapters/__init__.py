"""Front ends. Each one only translates platform events to `Incoming` and renders `Reply`."""
