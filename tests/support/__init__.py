"""What tests share: typed fakes of the flow's ports, builders."""
